// Mask-generator parameter grids for the generator and mask-side tests.

export type ParameterPattern = 'uniform' | 'settled' | 'half' | 'ones';

/**
 * K parameter grids h×w: uniform in (0, 1); 3×3 patches each all 0, all 1 or uniform (masks that have settled);
 * all 0.5 (the start); all 1.
 */
export function maskParameters(k: number, h: number, w: number, pattern: ParameterPattern, rnd: () => number): Float32Array {
  const p = new Float32Array(k * h * w);
  const patch = new Map<string, number>();
  for (let a = 0; a < k; a++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const key = `${a},${Math.floor(i / 3)},${Math.floor(j / 3)}`;
        if (!patch.has(key)) patch.set(key, rnd());
        const u = patch.get(key)!;
        p[(a * h + i) * w + j] = pattern === 'half' ? 0.5 : pattern === 'ones' ? 1 : pattern === 'uniform' || u > 0.7 ? rnd() : u < 0.4 ? 0 : 1;
      }
    }
  }
  return p;
}
