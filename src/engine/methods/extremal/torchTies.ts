// The area term's reference vector in torch.sort's order (METHODS.md §1.5): r_a has ⌊n(1−a)⌋ zeros then ones, and
// torch.sort's backward sends (sorted_j − r_j) to the pixel that landed at position j. Where several pixels share
// the value at position ⌊n(1−a)⌋ (plateaus and periodic patterns: the initial all-ones mask, parameters clamped
// at 1), which of them meet a 0 and which a 1 is decided by libstdc++'s introsort on TorchRay's float32 values.
// Reproducing it takes (1) those values bit for bit where the last bit matters, i.e. for every pixel whose value is
// within a few float32 steps of another's (torchMaskValues.ts), and (2) the same sort (introsort.ts).
import { kthSmallest, orderKey, rankedReference } from './areaTerm';
import { torchSortOrder } from './introsort';
import type { MaskGeometry } from './maskGenerator';
import { TorchMaskValues } from './torchMaskValues';

/**
 * How far the fast generator (float64 sums) may be from TorchRay's float32 value, relative: its 81-term float32
 * sums round ~10 times, each by at most 2⁻²⁴ relative, so 8e-6 (≈ 130 float32 steps) leaves a wide margin.
 */
const NEAR = 8e-6;
/** Packed sort keys hold 32 bits of value order and this many bits of pixel index in a float64's 53 bits. */
const INDEX_BITS = 21;

export interface TieStats {
  /** Pixels recomputed exactly, and whether the sort had to be replayed (a tie straddled the 0/1 boundary). */
  refined: number;
  sorted: boolean;
}

/** The area term's reference vectors with torch.sort's tie order, for the masks of one generator geometry. */
export class TorchTies {
  private readonly values: TorchMaskValues;
  readonly stats: TieStats = { refined: 0, sorted: false };

  constructor(g: MaskGeometry) {
    this.values = new TorchMaskValues(g);
  }

  /**
   * r_a for the clamped full mask `mask` generated from parameters `params[base …]`; `pooled` (its values before the
   * clamp), when given, spares recomputing pixels clamped far from the boundary.
   */
  reference(mask: Float32Array, zeros: number, params: ArrayLike<number>, base: number, pooled?: ArrayLike<number>): Float32Array {
    this.values.reset();
    return torchRankedReference(mask, zeros, (p) => this.values.cachedValue(params, base, p), pooled, this.stats);
  }
}

/**
 * r_a rearranged into the mask's own order as torch.sort would place it. `mask` is the clamped full mask from the
 * fast generator, `exact(p)` TorchRay's float32 value of pixel p, `pooled` the unclamped values if known.
 */
export function torchRankedReference(mask: Float32Array, zeros: number, exact: (pixel: number) => number, pooled?: ArrayLike<number>, stats?: TieStats): Float32Array {
  const n = mask.length;
  if (n >= 2 ** INDEX_BITS || zeros <= 0 || zeros >= n) return rankedReference(mask, zeros);
  const values = refineNearTies(mask, exact, pooled, stats);
  const threshold = kthSmallest(values, zeros);
  let below = 0;
  let equal = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] < threshold) below++;
    else if (values[i] === threshold) equal++;
  }
  // Unambiguous unless tied values sit on both sides of position `zeros`.
  if (below === zeros || equal === 1) return rankedReference(values, zeros);
  if (stats) stats.sorted = true;
  const order = torchSortOrder(values);
  const target = new Float32Array(n);
  for (let j = zeros; j < n; j++) target[order[j]] = 1;
  return target;
}

/** The mask with TorchRay's exact value at every pixel whose fast value is within NEAR of another pixel's. */
function refineNearTies(mask: Float32Array, exact: (pixel: number) => number, pooled?: ArrayLike<number>, stats?: TieStats): Float32Array {
  const n = mask.length;
  const bits = new Uint32Array(mask.buffer, mask.byteOffset, n);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = orderKey(bits[i], mask[i]) * 2 ** INDEX_BITS + i;
  keys.sort();
  const out = Float32Array.from(mask);
  const done = new Uint8Array(n);
  let refined = 0;
  const refine = (i: number) => {
    if (done[i]) return;
    done[i] = 1;
    // Clamped on both sides: TorchRay's value is exactly 0 (all taps zero) or exactly 1 (well above 1 before the clamp).
    if (pooled && (pooled[i] === 0 || pooled[i] >= 1 + NEAR)) return;
    out[i] = exact(i);
    refined++;
  };
  const indexOf = (key: number) => key % 2 ** INDEX_BITS;
  let prev = indexOf(keys[0]);
  for (let j = 1; j < n; j++) {
    const cur = indexOf(keys[j]);
    const a = mask[prev];
    const b = mask[cur];
    if (b - a <= NEAR * Math.abs(b)) {
      refine(prev);
      refine(cur);
    }
    prev = cur;
  }
  if (stats) stats.refined += refined;
  return out;
}
