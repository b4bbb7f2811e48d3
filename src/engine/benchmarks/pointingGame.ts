// The pointing game (Zhang et al., ECCV 2016) as TorchRay scores it (METHODS.md §4): the saliency map's maximum,
// at the original image size, is a hit when a ground-truth pixel of the class lies within 15 px. Pure functions:
// point extraction, the hit rule, the skip and "difficult" rules, per-class aggregation and the centre baseline.
import { EngineError } from '../errors';

export const DEFAULT_TOLERANCE = 15;

export interface SaliencyMap { width: number; height: number; data: ArrayLike<number> }
/** Pixel coordinates: x = column, y = row (§0.1). Fractional for the centre baseline. */
export interface Point { x: number; y: number }
/** A class's ground truth in one image: row-major boolean mask at the original image size. */
export interface Region { width: number; height: number; mask: Uint8Array }
/** +1 hit, −1 miss, 0 skipped (§4.1). */
export type Outcome = 1 | -1 | 0;

function checkMap(map: SaliencyMap): void {
  if (!Number.isInteger(map.width) || !Number.isInteger(map.height) || map.width < 1 || map.height < 1 || map.data.length !== map.width * map.height)
    throw new EngineError('INPUT_INVALID', `saliency map is inconsistent: ${map.width}×${map.height} with ${map.data.length} values`);
}

/** The first maximum in row-major order (§0.7); NaN values are ignored. */
export function argmaxPoint(map: SaliencyMap): Point {
  checkMap(map);
  let best = -1, bestValue = -Infinity;
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i];
    if (v > bestValue || (best < 0 && v === -Infinity)) { best = i; bestValue = v; }
  }
  if (best < 0) throw new EngineError('INPUT_INVALID', 'saliency map has no finite value (all NaN)');
  return { x: best % map.width, y: Math.floor(best / map.width) };
}

/**
 * Bilinear resize with half-pixel centres and edge clamping, i.e. PyTorch `interpolate(mode='bilinear',
 * align_corners=False)` as TorchRay's `resize_saliency` (§0.4), in float64 on plain arrays.
 */
export function resizeBilinear(map: SaliencyMap, width: number, height: number): SaliencyMap {
  checkMap(map);
  if (map.width === width && map.height === height) return map;
  const { width: w, height: h, data } = map;
  const axis = (outSize: number, inSize: number) => {
    const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize), f = new Float64Array(outSize);
    for (let o = 0; o < outSize; o++) {
      const src = Math.max(0, ((o + 0.5) * inSize) / outSize - 0.5);
      i0[o] = Math.min(inSize - 1, Math.floor(src));
      i1[o] = Math.min(inSize - 1, i0[o] + 1);
      f[o] = src - i0[o];
    }
    return { i0, i1, f };
  };
  const ys = axis(height, h), xs = axis(width, w);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y] * w, r1 = ys.i1[y] * w, fy = ys.f[y];
    for (let x = 0; x < width; x++) {
      const c0 = xs.i0[x], c1 = xs.i1[x], fx = xs.f[x];
      const top = data[r0 + c0] * (1 - fx) + data[r0 + c1] * fx;
      const bottom = data[r1 + c0] * (1 - fx) + data[r1 + c1] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return { width, height, data: out };
}

/** The pointing-game point of a map for an image of `width`×`height` px: resize to that size, then argmax (§4.1). */
export function pointOnImage(map: SaliencyMap, width: number, height: number): Point {
  return argmaxPoint(resizeBilinear(map, width, height));
}

/** Centre baseline: (W/2, H/2) in floating point, no rounding (§4.5). */
export function centrePoint(width: number, height: number): Point {
  return { x: width / 2, y: height / 2 };
}

/** Hit ⇔ some ground-truth pixel (r, q) has (r − y)² + (q − x)² < τ² (strict, pixel indices; §4.1). */
export function isHit(point: Point, region: Region, tolerance = DEFAULT_TOLERANCE): boolean {
  const { width, height, mask } = region;
  const t2 = tolerance * tolerance;
  for (let r = Math.max(0, Math.ceil(point.y - tolerance)); r <= Math.min(height - 1, Math.floor(point.y + tolerance)); r++) {
    const dy2 = (r - point.y) ** 2;
    for (let q = Math.max(0, Math.ceil(point.x - tolerance)); q <= Math.min(width - 1, Math.floor(point.x + tolerance)); q++)
      if (mask[r * width + q] && dy2 + (q - point.x) ** 2 < t2) return true;
  }
  return false;
}

/** Box in 0-based inclusive pixel indices. */
export interface Box { xmin: number; ymin: number; xmax: number; ymax: number }

/** Union of boxes as a region (VOC ground truth, §4.2). Boxes are clipped to the image. */
export function regionFromBoxes(boxes: readonly Box[], width: number, height: number): Region {
  const mask = new Uint8Array(width * height);
  for (const b of boxes) {
    const x0 = Math.max(0, b.xmin), x1 = Math.min(width - 1, b.xmax);
    for (let y = Math.max(0, b.ymin); y <= Math.min(height - 1, b.ymax); y++) if (x1 >= x0) mask.fill(1, y * width + x0, y * width + x1 + 1);
  }
  return { width, height, mask };
}

/** Union of masks (COCO ground truth: all instances of the class, crowds included, §4.2). */
export function regionFromMasks(masks: readonly Uint8Array[], width: number, height: number): Region {
  const mask = new Uint8Array(width * height);
  for (const m of masks) for (let i = 0; i < mask.length; i++) if (m[i]) mask[i] = 1;
  return { width, height, mask };
}

export function regionArea(region: Region): number {
  let n = 0;
  for (const v of region.mask) n += v;
  return n;
}

/** VOC: a class is skipped (0) in an image when every one of its boxes is flagged difficult (§4.2). */
export function allDifficult(objects: readonly { difficult: boolean }[]): boolean {
  return objects.length > 0 && objects.every((o) => o.difficult);
}

/**
 * Zhang et al.'s difficult-pair list (§4.3): tab-separated rows `image-name  flag_1 … flag_C` (0/1, one per class
 * in the dataset's class order). Returns image name → flags.
 */
export function parseDifficultList(text: string, numClasses: number, source = 'difficult list'): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  text.split(/\r?\n/).forEach((line, n) => {
    if (!line.trim()) return;
    const cells = line.trim().split(/\s+/);
    if (cells.length !== numClasses + 1)
      throw new EngineError('INPUT_INVALID', `${source}: line ${n + 1} has ${cells.length - 1} flags, expected one per class (${numClasses})`);
    const flags = Uint8Array.from(cells.slice(1), (c) => {
      if (c !== '0' && c !== '1') throw new EngineError('INPUT_INVALID', `${source}: line ${n + 1}: flag "${c}" is not 0 or 1`);
      return c === '1' ? 1 : 0;
    });
    out.set(cells[0], flags);
  });
  return out;
}

/**
 * Whether a pair belongs to the difficult subset according to the list (§4.3): flagged 1 → yes, flagged 0 → no,
 * image absent from the list → yes (evaluated, as TorchRay does). The image is looked up by its name with and
 * without extension, since lists name VOC images by id.
 */
export function inDifficultList(list: ReadonlyMap<string, Uint8Array>, imageName: string, classColumn: number): boolean {
  const flags = list.get(imageName) ?? list.get(imageName.replace(/\.[^./\\]+$/, ''));
  return flags ? flags[classColumn] === 1 : true;
}

/**
 * The rule behind the lists, for datasets that have none (§4.3, as the excitation-backprop paper describes it): the
 * image contains at least one other category, and the class's region covers less than a quarter of the image.
 */
export function difficultByRule(classArea: number, imageArea: number, categoriesInImage: number): boolean {
  return categoriesInImage > 1 && classArea < imageArea / 4;
}

export interface ClassScore { hits: number; misses: number; accuracy: number }
export interface SubsetScore { perClass: Record<string, ClassScore>; mean: number }

/** Per-class hits/(hits + misses) and their mean over ALL `classes`, unevaluated classes counting 0 (§4.4). */
export function aggregate(outcomes: readonly { className: string; outcome: Outcome }[], classes: readonly string[]): SubsetScore {
  const perClass: Record<string, ClassScore> = {};
  for (const c of classes) perClass[c] = { hits: 0, misses: 0, accuracy: 0 };
  for (const { className, outcome } of outcomes) {
    const s = perClass[className];
    if (!s) throw new EngineError('INTERNAL', `pointing game: outcome for unknown class "${className}"`);
    if (outcome === 1) s.hits++;
    else if (outcome === -1) s.misses++;
  }
  for (const s of Object.values(perClass)) s.accuracy = s.hits / Math.max(s.hits + s.misses, 1);
  const mean = classes.length ? classes.reduce((a, c) => a + perClass[c].accuracy, 0) / classes.length : 0;
  return { perClass, mean };
}
