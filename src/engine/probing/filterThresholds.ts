// Per-filter thresholds T_k at the top quantile q of all of a layer's activations over the whole dataset
// (METHODS.md §5.2): P(A_k > T_k) = q. Exact, not a sketch: per filter we keep the m + 1 largest values seen,
// m = round(q · total), in a buffer that is compacted when it fills (amortised O(1) per value).
//
// Sharding: a shard's TopValues (built with the same global `total`) serialises with toJSON, and `merge` of the
// shards' lists keeps the m + 1 largest of their union, which is exactly the whole dataset's list: the thresholds
// are identical to a single pass, bit for bit. Memory is (m + 1) floats per filter, e.g. 15.5 k per filter for
// Broden (63 k images) at 7×7 and q = 0.005; for large early-layer maps a mergeable histogram + refinement pass
// would be needed instead.
import { EngineError } from '../errors';

/** How many values lie strictly above the threshold: round(q · total), at least 1. */
export function topCount(total: number, quantile: number): number {
  if (!(quantile > 0 && quantile < 1)) throw new EngineError('BAD_ARGUMENT', `quantile must be in (0, 1), got ${quantile}.`);
  return Math.max(1, Math.round(quantile * total));
}

export interface TopValuesJson { filters: number; capacity: number; values: number[][] }

export class TopValues {
  private readonly bufs: Float32Array[];
  private readonly lens: Int32Array;
  private readonly cutoffs: Float32Array;

  /** `capacity` = m + 1 values kept per filter. */
  constructor(readonly filters: number, readonly capacity: number) {
    if (!Number.isInteger(filters) || filters < 1 || !Number.isInteger(capacity) || capacity < 1)
      throw new EngineError('BAD_ARGUMENT', `TopValues needs positive integer filters and capacity (got ${filters}, ${capacity}).`);
    this.bufs = Array.from({ length: filters }, () => new Float32Array(2 * capacity));
    this.lens = new Int32Array(filters);
    this.cutoffs = new Float32Array(filters).fill(-Infinity);
  }

  /** For a dataset of `total` values per filter and quantile q. */
  static forQuantile(filters: number, total: number, quantile: number): TopValues {
    return new TopValues(filters, topCount(total, quantile) + 1);
  }

  /** Adds channel-last values (…×K interleaved, e.g. NHWC activations): value i belongs to filter i mod K. */
  addInterleaved(values: ArrayLike<number>): void {
    const k = this.filters;
    if (values.length % k) throw new EngineError('INTERNAL', `TopValues: ${values.length} values is not a multiple of ${k} filters.`);
    for (let f = 0; f < k; f++) {
      const buf = this.bufs[f];
      let len = this.lens[f];
      let cutoff = this.cutoffs[f];
      for (let i = f; i < values.length; i += k) {
        const v = values[i];
        if (v > cutoff || len < this.capacity) {
          buf[len++] = v;
          if (len === buf.length) { cutoff = this.compact(f, len); len = this.capacity; }
        }
      }
      this.lens[f] = len;
      this.cutoffs[f] = cutoff;
    }
  }

  /** Keeps the `capacity` largest; returns the smallest kept (values not above it can no longer enter). */
  private compact(f: number, len: number): number {
    const buf = this.bufs[f];
    const sorted = buf.subarray(0, len).sort(); // ascending, numeric for typed arrays
    buf.set(sorted.subarray(len - this.capacity));
    return buf[0];
  }

  /** Exact merge: afterwards this holds the largest values of both. */
  merge(other: TopValues): void {
    if (other.filters !== this.filters || other.capacity !== this.capacity)
      throw new EngineError('BAD_ARGUMENT', `Cannot merge threshold statistics of ${other.filters} filters/${other.capacity} values into ${this.filters}/${this.capacity}.`);
    for (let f = 0; f < this.filters; f++) {
      // A copy: compaction in addOne may reuse this buffer when other === this.
      this.addOne(f, new Float32Array(other.bufs[f].subarray(0, other.lens[f])));
    }
  }

  private addOne(f: number, values: Float32Array): void {
    const buf = this.bufs[f];
    let len = this.lens[f];
    let cutoff = this.cutoffs[f];
    for (const v of values) {
      if (v > cutoff || len < this.capacity) {
        buf[len++] = v;
        if (len === buf.length) { cutoff = this.compact(f, len); len = this.capacity; }
      }
    }
    this.lens[f] = len;
    this.cutoffs[f] = cutoff;
  }

  /**
   * T_k = the (m + 1)-th largest value, so that exactly m values are > T_k when there are no ties.
   * With fewer than m + 1 values in total every value is above: T_k = −∞.
   */
  thresholds(): Float32Array {
    const out = new Float32Array(this.filters);
    for (let f = 0; f < this.filters; f++) {
      const len = this.lens[f];
      if (len < this.capacity) { out[f] = -Infinity; continue; }
      const sorted = new Float32Array(this.bufs[f].subarray(0, len)).sort();
      out[f] = sorted[len - this.capacity];
    }
    return out;
  }

  toJSON(): TopValuesJson {
    return {
      filters: this.filters, capacity: this.capacity,
      values: this.bufs.map((b, f) => Array.from(b.subarray(0, this.lens[f]))),
    };
  }

  static fromJSON(j: TopValuesJson): TopValues {
    const t = new TopValues(j.filters, j.capacity);
    j.values.forEach((v, f) => t.addOne(f, Float32Array.from(v)));
    return t;
  }
}
