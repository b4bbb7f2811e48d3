// A similarity map drawn over the image the model saw (METHODS.md §6.2): the rows×cols map enlarged with
// nearest-neighbour sampling (the cells stay visible), grey by default (cosine 0 → black, 1 → white, clipped, so
// brightness compares across probes and images), at opacity 0.7 over the photo; the probe cell in yellow.
import sharp from 'sharp';
import { inferno } from '../render/colormap';
import type { RgbImage } from '../render/overlay';

export interface SimilarityOverlayOptions {
  /** Values mapped to the ends of the colour map (default [0, 1], raw cosine). */
  range?: [number, number];
  /** Opacity of the map over the photo (default 0.7, as the reference). */
  opacity?: number;
  colormap?: 'grey' | 'inferno';
  /** The probe cell, marked yellow (RGB 1, 1, 0) when this is the probe's own image. */
  probe?: { row: number; col: number };
}

export const PROBE_YELLOW: [number, number, number] = [255, 255, 0];

export function similarityOverlayPixels(image: RgbImage, map: { rows: number; cols: number; values: Float32Array }, o: SimilarityOverlayOptions = {}): Uint8Array {
  const { rows, cols, values } = map;
  if (values.length !== rows * cols) throw new RangeError(`map of ${values.length} values is not ${rows}×${cols}`);
  const [lo, hi] = o.range ?? [0, 1];
  const alpha = o.opacity ?? 0.7;
  const span = hi > lo ? hi - lo : 1;
  const { width: w, height: h, rgb } = image;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const row = Math.min(rows - 1, Math.floor((y * rows) / h));
    for (let x = 0; x < w; x++) {
      const col = Math.min(cols - 1, Math.floor((x * cols) / w));
      const t = Math.min(1, Math.max(0, (values[row * cols + col] - lo) / span));
      const isProbe = o.probe !== undefined && o.probe.row === row && o.probe.col === col;
      const c = isProbe ? PROBE_YELLOW : o.colormap === 'inferno' ? inferno(t) : [255 * t, 255 * t, 255 * t];
      const i = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) out[i + k] = Math.round(rgb[i + k] * (1 - alpha) + c[k] * alpha);
    }
  }
  return out;
}

export async function similarityOverlayPng(image: RgbImage, map: { rows: number; cols: number; values: Float32Array }, o: SimilarityOverlayOptions = {}): Promise<Buffer> {
  const px = similarityOverlayPixels(image, map, o);
  return sharp(Buffer.from(px.buffer, px.byteOffset, px.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}
