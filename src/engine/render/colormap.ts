// Maps values in [0,1] to RGB for heatmap overlays. A perceptual map (an approximation of matplotlib's 'inferno'
// by linear interpolation between 9 stops) so low and high saliency stay distinguishable in grey-scale prints too.
const INFERNO: [number, number, number][] = [
  [0, 0, 4], [31, 12, 72], [85, 15, 109], [136, 34, 106], [186, 54, 85],
  [227, 89, 51], [249, 140, 10], [249, 201, 50], [252, 255, 164],
];

export function inferno(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(t));
  const f = t - i;
  const a = INFERNO[i], b = INFERNO[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * Normalisation to [0,1] from the minimum to a high percentile (a constant map becomes all zeros). Gradient maps are
 * heavy-tailed: with plain min–max a handful of pixels take the whole range and the rest looks empty.
 */
export function normalise(data: Float32Array, upperPercentile = 0.995): Float32Array {
  let lo = Infinity;
  for (const v of data) if (v < lo) lo = v;
  const sorted = Float32Array.from(data).sort();
  let hi = sorted[Math.min(sorted.length - 1, Math.floor(upperPercentile * (sorted.length - 1)))];
  if (!(hi > lo)) hi = sorted[sorted.length - 1];
  const out = new Float32Array(data.length);
  const span = hi - lo;
  if (span > 0 && Number.isFinite(span)) for (let i = 0; i < data.length; i++) out[i] = Math.min(1, (data[i] - lo) / span);
  return out;
}
