// Weak localisation from a heatmap (METHODS.md §2.9, MP-caffe `heatmaps.py: getbb_from_heatmap`): threshold the
// map with one of three rules, then take the tight bounding box of what survives, at the original image size.
import { EngineError } from '../errors';
import type { Box, SaliencyMap } from './pointingGame';

export type ThresholdRule = 'value' | 'energy' | 'mean';

/**
 * α per rule for meaningful-perturbation masks (localisation preset), as tuned on held-out ImageNet training images
 * by the reference notebook `localization.ipynb` (GoogLeNet; §2.9 table). Other models may need other values.
 */
export const MASK_LOCALISATION_ALPHA: Readonly<Record<ThresholdRule, number>> = { value: 0.1, energy: 0.95, mean: 0.5 };

/**
 * Pixels kept (1) by the rule:
 *   value  ('min_max_diff'): h − min(h) ≥ α·(max(h) − min(h))
 *   energy: the largest values whose cumulative sum first reaches α·Σh (ties broken by row-major order)
 *   mean:   h ≥ α·mean(h)
 */
export function thresholdHeatmap(map: SaliencyMap, rule: ThresholdRule, alpha: number): Uint8Array {
  const { data } = map;
  if (data.length !== map.width * map.height || data.length === 0)
    throw new EngineError('INPUT_INVALID', `heatmap is inconsistent: ${map.width}×${map.height} with ${data.length} values`);
  if (!Number.isFinite(alpha) || alpha < 0) throw new EngineError('BAD_ARGUMENT', `α must be a finite number ≥ 0, got ${alpha}`);
  const keep = new Uint8Array(data.length);
  if (rule === 'value') {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < data.length; i++) { lo = Math.min(lo, data[i]); hi = Math.max(hi, data[i]); }
    for (let i = 0; i < data.length; i++) keep[i] = data[i] - lo >= alpha * (hi - lo) ? 1 : 0;
  } else if (rule === 'mean') {
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += data[i];
    const t = (alpha * sum) / data.length;
    for (let i = 0; i < data.length; i++) keep[i] = data[i] >= t ? 1 : 0;
  } else if (rule === 'energy') {
    let total = 0;
    for (let i = 0; i < data.length; i++) total += data[i];
    const order = Array.from({ length: data.length }, (_, i) => i).sort((a, b) => data[b] - data[a] || a - b);
    let cum = 0;
    for (const i of order) {
      if (cum >= alpha * total) break;
      keep[i] = 1;
      cum += data[i];
    }
  } else {
    throw new EngineError('BAD_ARGUMENT', `threshold rule must be value, energy or mean, got ${JSON.stringify(rule)}`);
  }
  return keep;
}

/**
 * The tight box (0-based inclusive) of the kept pixels, scaled from the heatmap grid to an image of
 * `width`×`height` px as nearest-neighbour resizing of the kept mask would; the whole image when nothing survives.
 */
export function keptBoundingBox(keep: Uint8Array, mapWidth: number, mapHeight: number, width: number, height: number): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < mapHeight; y++)
    for (let x = 0; x < mapWidth; x++)
      if (keep[y * mapWidth + x]) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (x1 < 0) return { xmin: 0, ymin: 0, xmax: width - 1, ymax: height - 1 };
  const sx = width / mapWidth, sy = height / mapHeight;
  return {
    xmin: Math.floor(x0 * sx), ymin: Math.floor(y0 * sy),
    xmax: Math.min(width - 1, Math.ceil((x1 + 1) * sx) - 1), ymax: Math.min(height - 1, Math.ceil((y1 + 1) * sy) - 1),
  };
}

/** §2.9 in one call: threshold `map` with `rule`/α and return the box at the image size. */
export function localisationBox(map: SaliencyMap, rule: ThresholdRule, alpha: number, width: number, height: number): Box {
  return keptBoundingBox(thresholdHeatmap(map, rule, alpha), map.width, map.height, width, height);
}

/** Intersection over union of two inclusive pixel boxes (ImageNet localisation counts IoU ≥ 0.5 as correct). */
export function boxIoU(a: Box, b: Box): number {
  const iw = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin) + 1;
  const ih = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin) + 1;
  const inter = Math.max(0, iw) * Math.max(0, ih);
  const area = (r: Box) => (r.xmax - r.xmin + 1) * (r.ymax - r.ymin + 1);
  return inter / (area(a) + area(b) - inter);
}
