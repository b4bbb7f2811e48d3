// Pixel compositing for the Explain panel, on plain arrays (no DOM), so it is unit-tested in Node.
// Views: the attribution overlay (blend or threshold), and for perturbation masks the preserved and the deleted
// image, m·x + (1−m)·blur(x) and its complement, the way extremal perturbation presents its result (METHODS §1.1, §1.3).
import { colormapTable, type ColormapName } from './colormaps';

export type OverlayMode = 'blend' | 'threshold';

/** Min–max normalisation to [0,1]; a constant (or empty) map becomes zeros; NaN counts as the minimum. */
export function normalise(data: Float32Array): Float32Array {
  let lo = Infinity, hi = -Infinity;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const out = new Float32Array(data.length);
  const span = hi - lo;
  if (span > 0 && Number.isFinite(span)) for (let i = 0; i < data.length; i++) out[i] = Number.isNaN(data[i]) ? 0 : (data[i] - lo) / span;
  return out;
}

/** True when every value lies in [0,1]: a perturbation mask, shown as it is rather than re-normalised. */
export function isUnitMask(data: Float32Array): boolean {
  for (const v of data) if (!(v >= 0 && v <= 1)) return false;
  return true;
}

/** RGB (3 bytes/px) → RGBA (4 bytes/px), opaque. */
export function rgbToRgba(rgb: Uint8Array, out = new Uint8ClampedArray((rgb.length / 3) * 4)): Uint8ClampedArray {
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) { out[j] = rgb[i]; out[j + 1] = rgb[i + 1]; out[j + 2] = rgb[i + 2]; out[j + 3] = 255; }
  return out;
}

export interface OverlayOptions { colormap: ColormapName; opacity: number; mode: OverlayMode; threshold: number }

/**
 * The heatmap over the picture. `blend`: each pixel mixes towards the colour of its value with weight
 * opacity·(0.25 + 0.75·v), so strong evidence stands out and the picture stays readable. `threshold`: pixels with
 * v ≥ threshold keep the picture, the rest are darkened and tinted with the colour map's low end.
 */
export function overlay(image: Uint8ClampedArray, values01: Float32Array, o: OverlayOptions): Uint8ClampedArray {
  const lut = colormapTable(o.colormap);
  const out = new Uint8ClampedArray(image.length);
  const op = Math.min(1, Math.max(0, o.opacity));
  for (let i = 0; i < values01.length; i++) {
    const v = Math.min(1, Math.max(0, values01[i]));
    const q = Math.round(v * 255) * 3;
    const j = i * 4;
    if (o.mode === 'threshold') {
      const keep = v >= o.threshold;
      const a = keep ? 0 : op;
      for (let c = 0; c < 3; c++) out[j + c] = image[j + c] * (1 - a) + lut[c] * a * 0.5;
    } else {
      const a = op * (0.25 + 0.75 * v);
      for (let c = 0; c < 3; c++) out[j + c] = image[j + c] * (1 - a) + lut[q + c] * a;
    }
    out[j + 3] = 255;
  }
  return out;
}

/** Heatmap alone, with alpha = opacity·v (drawn over a picture the browser already shows, for the live view). */
export function heatmapRgba(values01: Float32Array, colormap: ColormapName, opacity: number): Uint8ClampedArray {
  const lut = colormapTable(colormap);
  const out = new Uint8ClampedArray(values01.length * 4);
  for (let i = 0; i < values01.length; i++) {
    const v = Math.min(1, Math.max(0, values01[i]));
    const q = Math.round(v * 255) * 3;
    out[i * 4] = lut[q]; out[i * 4 + 1] = lut[q + 1]; out[i * 4 + 2] = lut[q + 2];
    out[i * 4 + 3] = Math.round(255 * Math.min(1, opacity) * (0.2 + 0.8 * v));
  }
  return out;
}

/** Preserve view m·x + (1−m)·x̃, or delete view (1−m)·x + m·x̃, with x̃ the blurred picture. */
export function perturbed(image: Uint8ClampedArray, blurred: Uint8ClampedArray, mask01: Float32Array, keep: 'preserve' | 'delete'): Uint8ClampedArray {
  const out = new Uint8ClampedArray(image.length);
  for (let i = 0; i < mask01.length; i++) {
    const m0 = Math.min(1, Math.max(0, mask01[i]));
    const m = keep === 'preserve' ? m0 : 1 - m0;
    const j = i * 4;
    for (let c = 0; c < 3; c++) out[j + c] = m * image[j + c] + (1 - m) * blurred[j + c];
    out[j + 3] = 255;
  }
  return out;
}

/** The map alone as an opaque grey-scale image (for "Export mask as PNG"): 0 → black, 1 → white. */
export function maskRgba(values01: Float32Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(values01.length * 4);
  for (let i = 0; i < values01.length; i++) {
    const g = Math.round(255 * Math.min(1, Math.max(0, values01[i])));
    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Value at the given quantile (0…1) of a [0,1] map: the threshold that keeps the top (1−q) of the pixels. */
export function quantile(values01: Float32Array, q: number): number {
  if (!values01.length) return 0;
  const s = Float32Array.from(values01).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}
