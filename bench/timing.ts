// Small timing helpers shared by the benchmarks: warm-up, then the minimum and median of repeated samples (the
// machines are shared and noisy, ENGINE_NOTES "measurement caveat": the minimum is the reproducible figure).
export interface Timing { min: number; median: number; samples: number; }

export async function time(fn: () => unknown | Promise<unknown>, opts: { warmup?: number; samples?: number; budgetMs?: number } = {}): Promise<Timing> {
  const { warmup = 2, samples = 9, budgetMs = 20000 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const xs: number[] = [];
  const start = performance.now();
  while (xs.length < samples && (xs.length < 2 || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return { min: xs[0], median: xs[Math.floor(xs.length / 2)], samples: xs.length };
}

export const fmt = (t: Timing) => `${t.min.toFixed(1)} ms (median ${t.median.toFixed(1)}, n=${t.samples})`;
