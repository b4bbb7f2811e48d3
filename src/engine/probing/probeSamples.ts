// The per-concept training data of the Net2Vec probes: binarised activations 1[A_k(x) > T_k] (METHODS.md §5.5,
// §5.6) as bytes, and the concept's target maps. Binary activations are 4× smaller than floats, so a concept's
// images stay in memory for the 30 epochs.

export interface ProbeSamples {
  n: number;
  h: number;
  w: number;
  k: number;
  /** 1[A > T], n × h × w × K, channel-last. */
  binary: Uint8Array;
  /** Targets L_c (segmentation only), n × sh × sw, 0/1. */
  targets?: Uint8Array;
  sh: number;
  sw: number;
}

/** Binarises one image's activations (NHWC, K channels) against per-filter thresholds into `out` at `offset`. */
export function binarizeInto(acts: Float32Array, thresholds: Float32Array, out: Uint8Array, offset: number): void {
  const k = thresholds.length;
  for (let i = 0; i < acts.length; i++) out[offset + i] = acts[i] > thresholds[i % k] ? 1 : 0;
}

/** Mean (or max) over positions of the binary maps: the classification probe's features [n × K] (§5.6). */
export function pooledFeatures(s: Pick<ProbeSamples, 'n' | 'h' | 'w' | 'k' | 'binary'>, pool: 'avg' | 'max'): Float32Array {
  const { n, k } = s;
  const hw = s.h * s.w;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < hw; p++) {
      const base = (i * hw + p) * k;
      for (let f = 0; f < k; f++) {
        const v = s.binary[base + f];
        if (pool === 'avg') out[i * k + f] += v; else if (v) out[i * k + f] = 1;
      }
    }
    if (pool === 'avg') for (let f = 0; f < k; f++) out[i * k + f] /= hw;
  }
  return out;
}
