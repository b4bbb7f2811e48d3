// Colour maps for attribution overlays, as 9-stop piecewise-linear approximations of matplotlib's perceptual maps
// (inferno, viridis), Google's turbo, and grey. Perceptual maps keep low and high values apart in grey-scale too.
export type ColormapName = 'inferno' | 'viridis' | 'turbo' | 'grey';
export const COLORMAPS: readonly ColormapName[] = ['inferno', 'viridis', 'turbo', 'grey'];

type Stop = [number, number, number];
const STOPS: Record<ColormapName, Stop[]> = {
  inferno: [[0, 0, 4], [31, 12, 72], [85, 15, 109], [136, 34, 106], [186, 54, 85], [227, 89, 51], [249, 140, 10], [249, 201, 50], [252, 255, 164]],
  viridis: [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]],
  turbo: [[48, 18, 59], [70, 107, 227], [40, 187, 236], [50, 242, 152], [164, 252, 60], [237, 208, 58], [251, 128, 34], [208, 47, 5], [122, 4, 3]],
  grey: [[0, 0, 0], [255, 255, 255]],
};

/** A 256-entry RGB lookup table (768 bytes) for fast per-pixel mapping. */
export function colormapTable(name: ColormapName): Uint8ClampedArray {
  const stops = STOPS[name] ?? STOPS.inferno;
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f);
  }
  return lut;
}

/** CSS linear-gradient stops for a legend bar. */
export function colormapGradient(name: ColormapName): string {
  const stops = STOPS[name] ?? STOPS.inferno;
  return `linear-gradient(to right, ${stops.map((s, i) => `rgb(${s.join(',')}) ${((100 * i) / (stops.length - 1)).toFixed(1)}%`).join(', ')})`;
}
