// Gaussian blur as MP-caffe gets it from PIL `GaussianBlur(r)` (METHODS.md §0.5): emulated with a true Gaussian,
// σ = r, half-width ⌈3σ⌉, edges replicated. Written as one dense matrix per axis, so that the blur is a pair of
// matMuls: exact, differentiable on every backend, and cheap at CNN input sizes (224² · 2 multiply-adds per pixel).
import * as tf from '@tensorflow/tfjs-core';

/**
 * The n×n matrix B with `(B·v)[i] = Σ_k g_k · v[clamp(i + k, 0, n−1)]`, `g_k ∝ exp(−k²/2σ²)`, `|k| ≤ ⌈3σ⌉`,
 * Σ g_k = 1. σ = 0 gives the identity. Row-major Float32Array.
 */
export function gaussianBlurMatrix(n: number, sigma: number): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`matrix size must be a positive integer, got ${n}`);
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`sigma must be ≥ 0, got ${sigma}`);
  const half = Math.ceil(3 * sigma);
  const taps = new Float64Array(2 * half + 1);
  let sum = 0;
  for (let k = -half; k <= half; k++) sum += taps[k + half] = half === 0 ? 1 : Math.exp(-(k * k) / (2 * sigma * sigma));
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = -half; k <= half; k++) out[i * n + Math.min(n - 1, Math.max(0, i + k))] += taps[k + half] / sum;
  return Float32Array.from(out);
}

/** Applies `rows` (H×H) along the height and `cols` (W×W) along the width of an NHWC batch: rows·X·colsᵀ per channel. */
export function blurSeparable(x: tf.Tensor4D, rows: tf.Tensor2D, cols: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    // [N,H,W,C] → [H, N·W·C]: the height axis first, so one matMul blurs every column of every image and channel.
    const byRows = tf.matMul(rows, tf.transpose(x, [1, 0, 2, 3]).reshape([h, n * w * c]));
    const t = byRows.reshape([h, n, w, c]).transpose([2, 1, 0, 3]).reshape([w, n * h * c]);
    const byCols = tf.matMul(cols, t);
    return byCols.reshape([w, n, h, c]).transpose([1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Blurs an NHWC batch with the PIL-like Gaussian of σ px (§2.2 blur null image, σ0 = 10 by default). */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.tidy(() => blurSeparable(x, tf.tensor2d(gaussianBlurMatrix(h, sigma), [h, h]), tf.tensor2d(gaussianBlurMatrix(w, sigma), [w, w])));
}
