// The area term's reference vector in torch.sort's order (METHODS.md §1.5): r_a has ⌊n(1−a)⌋ zeros then ones, and
// torch.sort's backward sends (sorted_j − r_j) to the pixel that landed at position j. Where several pixels share
// the value at position ⌊n(1−a)⌋ (plateaus and periodic patterns: the initial all-ones mask, parameters clamped
// at 1), which of them meet a 0 and which a 1 is decided by libstdc++'s introsort on TorchRay's float32 values.
// Reproducing it takes (1) those values bit for bit near the boundary (torchMaskValues.ts) and (2) the same sort
// (introsort.ts).
import { kthSmallest, kthSmallestNear, rankedReference } from './areaTerm';
import { torchSortSides } from './introsort';
import type { MaskGeometry } from './maskGenerator';
import { TorchMaskValues } from './torchMaskValues';

/**
 * How far the fast generator (float64 sums) may be from TorchRay's float32 value: measured up to 2.7e-6 on the
 * reference's parameters and on random ones (TorchRay's own float32 softmax and sums are the less exact side).
 */
const NEAR = 8e-6;

export interface TieStats {
  /** Pixels recomputed exactly, and how often the sort had to be replayed (a tie straddled the 0/1 boundary). */
  refined: number;
  sorted: number;
}

/** The area term's reference vectors with torch.sort's tie order, for the masks of one generator geometry. */
export class TorchTies {
  private readonly values: TorchMaskValues;
  readonly stats: TieStats = { refined: 0, sorted: 0 };
  /** Per mask (by parameter offset): the last boundary value and how far it moved, to look for the next near it. */
  private readonly last = new Map<number, { threshold: number; moved: number }>();

  constructor(g: MaskGeometry) {
    this.values = new TorchMaskValues(g);
  }

  /**
   * r_a for the clamped full mask `mask` generated from parameters `params[base …]`; `pooled` (its values before the
   * clamp), when given, spares recomputing pixels clamped far from the boundary.
   */
  reference(mask: Float32Array, zeros: number, params: ArrayLike<number>, base: number, pooled?: ArrayLike<number>): Float32Array {
    this.values.reset();
    const last = this.last.get(base);
    // The boundary is searched where it was last time (only the speed depends on it), and remembered.
    const boundary = (values: Float32Array, k: number) => {
      const found = last ? kthSmallestNear(values, k, last.threshold, Math.max(1e-4, 2 * last.moved)) : kthSmallest(values, k);
      this.last.set(base, { threshold: found, moved: last ? Math.abs(found - last.threshold) : 1 });
      return found;
    };
    return torchRankedReference(mask, zeros, (p) => this.values.cachedValue(params, base, p), pooled, this.stats, boundary);
  }
}

/**
 * r_a rearranged into the mask's own order as torch.sort would place it. `mask` is the clamped full mask from the
 * fast generator, `exact(p)` TorchRay's float32 value of pixel p, `pooled` the unclamped values if known.
 *
 * Only the boundary matters: every pixel sorted below position `zeros` meets a 0, every other a 1, whatever the
 * order within each side. So when no other value is within NEAR of the value at the boundary, the fast values
 * decide. Otherwise the pixels within NEAR of it get TorchRay's exact values, and if exact ties then straddle the
 * boundary, introsort decides which side each lands on. `boundary(values, k)` finds the k-th smallest value
 * (kthSmallest, or TorchTies' search near the last boundary: same value, faster).
 */
export function torchRankedReference(mask: Float32Array, zeros: number, exact: (pixel: number) => number, pooled?: ArrayLike<number>,
  stats?: TieStats, boundary: (values: Float32Array, k: number) => number = kthSmallest): Float32Array {
  const n = mask.length;
  if (zeros <= 0 || zeros >= n) return rankedReference(mask, zeros);
  const fastThreshold = boundary(mask, zeros);
  const near: number[] = [];
  for (let i = 0; i < n; i++) if (Math.abs(mask[i] - fastThreshold) <= NEAR) near.push(i);
  if (near.length === 1) return rankedReference(mask, zeros, fastThreshold);
  // TorchRay's exact value of a pixel, computed once: when it may differ from the fast one in the last bits.
  const exactOf = new Float32Array(n).fill(NaN);
  const exactAt = (i: number): number => {
    let v = exactOf[i];
    if (Number.isNaN(v)) {
      // Clamped on both sides: TorchRay's value is exactly 0 (all taps zero) or exactly 1 (well above 1 before the clamp).
      v = pooled && (pooled[i] === 0 || pooled[i] >= 1 + NEAR) ? mask[i] : exact(i);
      exactOf[i] = v;
      if (stats) stats.refined++;
    }
    return v;
  };
  const values = Float32Array.from(mask);
  for (const i of near) values[i] = exactAt(i);
  // Only values within NEAR of the fast boundary changed, by less than NEAR (a guess: the result is exact either way).
  const threshold = kthSmallestNear(values, zeros, fastThreshold, 2 * NEAR);
  let below = 0;
  let equal = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] < threshold) below++;
    else if (values[i] === threshold) equal++;
  }
  // Unambiguous unless tied values sit on both sides of position `zeros`.
  if (below === zeros || equal === 1) return rankedReference(values, zeros, threshold);
  if (stats) stats.sorted++;
  // Replay introsort. Every comparison it makes must come out as on TorchRay's values, including those between
  // pivots and near-equal values far from the boundary (they move the tied pixels around): compare exactly when close.
  const less = (a: number, b: number): boolean => {
    const va = mask[a];
    const vb = mask[b];
    if (Math.abs(va - vb) > NEAR) return va < vb;
    return exactAt(a) < exactAt(b);
  };
  return Float32Array.from(torchSortSides(n, less, zeros));
}
