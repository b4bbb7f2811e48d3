// TorchRay's `imsmooth` (METHODS.md §0.5): separable Gaussian, vertical pass then horizontal pass, per channel.
// Used for the blur pyramid (§1.3) and the optional output smoothing (§1.10).
import * as tf from '@tensorflow/tfjs-core';

/** float32 machine epsilon, as TorchRay's EPSILON_SINGLE. */
const EPSILON_SINGLE = 1.1920929e-7;
const SQRT_TWO_SINGLE = Math.fround(Math.SQRT2);

export type SmoothingPadding = 'constant' | 'replicate';

/**
 * The normalised 1-D taps `f_i ∝ exp(−(i/(√2·σ + ε))²)`, `|i| ≤ ⌈4σ⌉`, rounded to float32 step by step like the
 * reference (which computes them in float32). σ = 0 gives the identity `[1]`.
 */
export function gaussianTaps(sigma: number): Float32Array {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`sigma must be ≥ 0, got ${sigma}`);
  const half = Math.ceil(4 * sigma);
  const denom = Math.fround(Math.fround(SQRT_TWO_SINGLE * Math.fround(sigma)) + EPSILON_SINGLE);
  const taps = new Float32Array(2 * half + 1);
  for (let i = -half; i <= half; i++) {
    const u = Math.fround(i / denom);
    taps[i + half] = Math.exp(-Math.fround(u * u));
  }
  let sum = 0;
  for (const t of taps) sum = Math.fround(sum + t);
  for (let i = 0; i < taps.length; i++) taps[i] = taps[i] / sum;
  return taps;
}

/** Edge replication by `w` pixels on both sides of `axis` (1 = rows, 2 = columns) of an NHWC tensor. */
function replicatePad(x: tf.Tensor4D, w: number, axis: 1 | 2): tf.Tensor4D {
  if (w === 0) return x;
  const size = x.shape[axis];
  const first = axis === 1 ? x.slice([0, 0, 0, 0], [-1, 1, -1, -1]) : x.slice([0, 0, 0, 0], [-1, -1, 1, -1]);
  const last = axis === 1 ? x.slice([0, size - 1, 0, 0], [-1, 1, -1, -1]) : x.slice([0, 0, size - 1, 0], [-1, -1, 1, -1]);
  const reps: [number, number, number, number] = axis === 1 ? [1, w, 1, 1] : [1, 1, w, 1];
  return tf.concat([tf.tile(first, reps), x, tf.tile(last, reps)], axis);
}

/**
 * Gaussian smoothing of an NHWC tensor with TorchRay's kernel; output size = input size.
 * `'constant'` pads with zeros (TorchRay's default), `'replicate'` repeats the edge samples.
 */
export function imsmooth(x: tf.Tensor4D, sigma: number, padding: SmoothingPadding = 'constant'): tf.Tensor4D {
  const taps = gaussianTaps(sigma);
  if (taps.length === 1) return x.clone();
  const half = (taps.length - 1) / 2;
  const channels = x.shape[3];
  return tf.tidy(() => {
    // Depthwise filters [k,1,C,1] and [1,k,C,1]: the same taps for every channel.
    const tapsPerChannel = new Float32Array(taps.length * channels);
    for (let i = 0; i < taps.length; i++) tapsPerChannel.fill(taps[i], i * channels, (i + 1) * channels);
    const vertical = tf.tensor4d(tapsPerChannel, [taps.length, 1, channels, 1]);
    const horizontal = tf.tensor4d(tapsPerChannel, [1, taps.length, channels, 1]);
    const pad = (t: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D =>
      padding === 'replicate'
        ? replicatePad(t, half, axis)
        : tf.pad(t, axis === 1 ? [[0, 0], [half, half], [0, 0], [0, 0]] : [[0, 0], [0, 0], [half, half], [0, 0]]);
    const v = tf.depthwiseConv2d(pad(x, 1), vertical, 1, 'valid');
    return tf.depthwiseConv2d(pad(v, 2), horizontal, 1, 'valid');
  });
}
