// Net2Vec concept embeddings (METHODS.md §5.8): a concept's probe weights, L2-normalised, e_c = w_c / ‖w_c‖;
// similarity is the cosine e_a · e_b, nearest concepts are the largest cosines, and analogies rank e_a − e_b + e_d
// by cosine (word2vec semantics).

export interface Neighbour { concept: string; cosine: number }

export function normalise(w: ArrayLike<number>): Float32Array {
  let n = 0;
  for (let i = 0; i < w.length; i++) n += w[i] * w[i];
  n = Math.sqrt(n);
  return Float32Array.from(w, (v) => (n > 0 ? v / n : 0));
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = normalise(a);
  const y = normalise(b);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

export class ConceptEmbeddings {
  private readonly vectors = new Map<string, Float32Array>();

  add(concept: string, weights: ArrayLike<number>): void {
    this.vectors.set(concept, normalise(weights));
  }

  get(concept: string): Float32Array | undefined { return this.vectors.get(concept); }

  /** The `n` other concepts with the largest cosine to `query` (a concept name or a vector). */
  nearest(query: string | ArrayLike<number>, n = 5, exclude: string[] = []): Neighbour[] {
    const q = typeof query === 'string' ? this.vectors.get(query) : normalise(query);
    if (!q) return [];
    const skip = new Set(typeof query === 'string' ? [query, ...exclude] : exclude);
    const out: Neighbour[] = [];
    for (const [concept, v] of this.vectors) {
      if (skip.has(concept)) continue;
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * q[i];
      out.push({ concept, cosine: s });
    }
    return out.sort((a, b) => b.cosine - a.cosine).slice(0, n);
  }

  /** a − b + d ("b is to a as d is to ?"), excluding the three inputs. */
  analogy(a: string, b: string, d: string, n = 5): Neighbour[] {
    const [va, vb, vd] = [a, b, d].map((c) => this.vectors.get(c));
    if (!va || !vb || !vd) return [];
    const q = Float32Array.from(va, (v, i) => v - vb[i] + vd[i]);
    return this.nearest(q, n, [a, b, d]);
  }
}
