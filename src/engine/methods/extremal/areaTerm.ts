// The area constraint of extremal perturbation (METHODS.md §1.5):
//   regul_i = −λ · mean_j (sort_ascending(m_i)[j] − r_{a_i}[j])²,  r_a = ⌊n(1−a)⌋ zeros then ones,
// on the FULL mask (margin included, §0.9 item 1).
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';

/** Initial weight, growth per iteration (applied after each step), as hard-coded in TorchRay. */
export const AREA_WEIGHT_INITIAL = 300;
export const AREA_WEIGHT_GROWTH = 1.0035;

/** λ_t = 300 · 1.0035^t, accumulated by repeated multiplication like the reference. */
export function areaWeightAt(t: number): number {
  let w = AREA_WEIGHT_INITIAL;
  for (let i = 0; i < t; i++) w *= AREA_WEIGHT_GROWTH;
  return w;
}

/** Number of zeros in r_a: Python's `int(n * (1 − a))` in float64. */
export function referenceZeros(n: number, area: number): number {
  return Math.trunc(n * (1 - area));
}

/**
 * r_a rearranged into the mask's own order: entry p gets the reference value of the rank p has in the ascending
 * sort. Σ(sorted − r)² = Σ(m − r∘rank)², and the gradient 2(m_p − r_rank(p)) is what torch.sort's backward sends
 * to position p, without a gather gradient (which the wasm backend lacks). Ties are ranked stably by
 * (value, index) (§0.7): among equal values the later indices get the 1s. torch.sort is unstable; torchTies.ts
 * places ties as it does. `threshold`, the value at sorted position `zeros`, may be passed when already known.
 */
export function rankedReference(mask: ArrayLike<number>, zeros: number, threshold?: number): Float32Array {
  // Compare in float32, the precision the mask (and its sorted copy) has.
  const values = mask instanceof Float32Array ? mask : Float32Array.from(mask);
  const n = values.length;
  const target = new Float32Array(n);
  const ones = n - zeros;
  if (ones <= 0) return target;
  if (zeros <= 0) return target.fill(1);
  threshold ??= kthSmallest(values, zeros); // smallest value that receives a 1
  let above = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] > threshold) {
      target[i] = 1;
      above++;
    }
  }
  let tiesLeft = ones - above;
  for (let i = n - 1; i >= 0 && tiesLeft > 0; i--) {
    if (values[i] === threshold) {
      target[i] = 1;
      tiesLeft--;
    }
  }
  return target;
}

/** Order-preserving unsigned key of a float32's bits (−0 maps like +0). */
function orderKey(bits: number, value: number): number {
  if (value === 0) return 0x80000000;
  return bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/**
 * The k-th smallest value (0-based) of float32 values, by a two-pass radix selection on their bit patterns (16 high
 * bits, then 16 low bits): O(n), where a full sort is O(n log n) and was most of the area term's cost.
 */
export function kthSmallest(values: Float32Array, k: number): number {
  const n = values.length;
  if (!(k >= 0 && k < n)) throw new RangeError(`rank ${k} outside 0…${n - 1}`);
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  const keys = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let i = 0; i < n; i++) count[(keys[i] = orderKey(bits[i], values[i])) >>> 16]++;
  let rank = k;
  let high = 0;
  while (rank >= count[high]) rank -= count[high++];
  count.fill(0);
  for (let i = 0; i < n; i++) if (keys[i] >>> 16 === high) count[keys[i] & 0xffff]++;
  let low = 0;
  while (rank >= count[low]) rank -= count[low++];
  const key = ((high << 16) | low) >>> 0;
  let i = 0;
  while (keys[i] !== key) i++;
  return values[i];
}

/**
 * kthSmallest, when the answer is expected near `guess`: one pass counts the values below guess − halfWidth and
 * gathers those within halfWidth of it; if rank k falls among the gathered ones (and they are few) they alone are
 * sorted. Else (a bad guess) the radix selection. Either way the k-th smallest value (equal values are interchangeable: only their value
 * is returned), at a few times less than the radix selection's cost when the guess is good.
 */
export function kthSmallestNear(values: Float32Array, k: number, guess: number, halfWidth: number): number {
  const n = values.length;
  const lo = guess - halfWidth;
  const hi = guess + halfWidth;
  let below = 0;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < lo) below++;
    else if (v <= hi) inside++;
  }
  // A guess far off, or a band so wide that sorting it would cost more than the radix selection.
  if (!(k >= below && k < below + inside) || inside > n / 16) return kthSmallest(values, k);
  const band = new Float32Array(inside);
  for (let i = 0, j = 0; i < n; i++) {
    const v = values[i];
    if (v >= lo && v <= hi) band[j++] = v;
  }
  return band.sort()[k - below];
}

/**
 * The area term of one full mask [H'·W'] on the host (the optimisation loop's form of `areaTerm`): returns
 * −λ·mean((m − r∘rank)²) and adds its gradient w.r.t. the mask, −2λ(m − r∘rank)/n, to `grad`. `target` is r∘rank
 * (torchTies.ts places ties as torch.sort does; by default they are ranked stably).
 */
export function areaTermHost(mask: Float32Array, zeros: number, weight: number, grad: Float64Array, target = rankedReference(mask, zeros)): number {
  const n = mask.length;
  const scale = (-2 * weight) / n;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = mask[i] - target[i];
    sum += d * d;
    grad[i] += scale * d;
  }
  return Math.fround((-weight * sum) / n);
}

/**
 * Area term per mask, [K], for full masks [K, H', W', 1] and one target area each; `weight` is λ_t.
 * Differentiable w.r.t. `full` (the reference vector is built from its current values, off the tape);
 * `reference(k, mask, zeros)` overrides how mask k's r∘rank is built (by default ties are ranked stably).
 */
export function areaTerm(full: tf.Tensor4D, areas: readonly number[], weight: number,
  reference: (k: number, mask: Float32Array, zeros: number) => Float32Array = (_, m, z) => rankedReference(m, z)): tf.Tensor1D {
  const [k, h, w] = full.shape;
  if (areas.length !== k) throw new EngineError('INTERNAL', `${areas.length} areas for ${k} masks`);
  const n = h * w;
  const values = full.dataSync();
  const target = new Float32Array(k * n);
  for (let i = 0; i < k; i++) {
    target.set(reference(i, values.subarray(i * n, (i + 1) * n) as Float32Array, referenceZeros(n, areas[i])), i * n);
  }
  return tf.tidy(() => {
    const diff = tf.sub(full.reshape([k, n]), tf.tensor2d(target, [k, n]));
    return tf.mul(tf.mean(tf.square(diff), 1), -weight) as tf.Tensor1D;
  });
}
