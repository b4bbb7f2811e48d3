// M(m) of meaningful perturbation (METHODS.md §2.3): the low-resolution parameter mask upsampled by nearest
// neighbour ×s, cropped to the input size, then blurred with a Gaussian (σ = 5 px, replicate edges).
// Both steps are linear and separable, so M(m) = P_H · m · P_Wᵀ with P = B·A (A: nearest-upsampling matrix,
// B: blur matrix); the whole map is two small matMuls and its gradient is exact.
import * as tf from '@tensorflow/tfjs-core';
import { gaussianBlurMatrix } from './separableBlur';

/** Parameter-mask size for an input of `size` px: ⌈size/scale⌉ (the reference asserts divisibility; §2.3). */
export function maskSize(size: number, scale: number): number {
  return Math.ceil(size / scale);
}

/** n×⌈n/s⌉ nearest-upsampling matrix: row y has a single 1 in column ⌊y/s⌋ (the crop is built in). */
export function nearestUpsamplingMatrix(n: number, scale: number): Float32Array {
  const cols = maskSize(n, scale);
  const a = new Float32Array(n * cols);
  for (let y = 0; y < n; y++) a[y * cols + Math.floor(y / scale)] = 1;
  return a;
}

/** n×k product B·A in float64, rounded once to float32. */
function blurredUpsampling(n: number, scale: number, sigma: number): Float32Array {
  const k = maskSize(n, scale);
  const b = gaussianBlurMatrix(n, sigma);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const bij = b[i * n + j];
      if (bij !== 0) out[i * k + Math.floor(j / scale)] += bij;
    }
  return Float32Array.from(out);
}

export class MaskUpsampler {
  readonly maskHeight: number;
  readonly maskWidth: number;
  private readonly rows: tf.Tensor2D;
  private readonly cols: tf.Tensor2D;
  private readonly nearestRows: tf.Tensor2D;
  private readonly nearestCols: tf.Tensor2D;

  /**
   * @param straightThrough back-propagate as if there were no blur (MP-caffe's gradient, §2.7): the forward value is
   *   still blurred, the backward pass is the adjoint of nearest upsampling alone (a sum over each s×s block).
   */
  constructor(readonly height: number, readonly width: number, readonly scale: number, readonly sigma: number,
    readonly straightThrough = false) {
    this.maskHeight = maskSize(height, scale);
    this.maskWidth = maskSize(width, scale);
    this.rows = tf.tensor2d(blurredUpsampling(height, scale, sigma), [height, this.maskHeight]);
    this.cols = tf.tensor2d(blurredUpsampling(width, scale, sigma), [width, this.maskWidth]);
    this.nearestRows = tf.tensor2d(nearestUpsamplingMatrix(height, scale), [height, this.maskHeight]);
    this.nearestCols = tf.tensor2d(nearestUpsamplingMatrix(width, scale), [width, this.maskWidth]);
  }

  /** m [h, w] (values in [0, 1]) → M(m) as [1, H, W, 1], ready to broadcast over an NHWC batch. */
  apply(m: tf.Tensor2D): tf.Tensor4D {
    const { height, width } = this;
    if (!this.straightThrough)
      return tf.tidy(() => tf.matMul(tf.matMul(this.rows, m), this.cols, false, true).reshape([1, height, width, 1]));
    const upsample = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const p = args[0] as tf.Tensor;
      const value = tf.matMul(tf.matMul(this.rows, p as tf.Tensor2D), this.cols, false, true).reshape([1, height, width, 1]);
      return {
        value,
        gradFunc: (dy: tf.Tensor) =>
          tf.matMul(tf.matMul(this.nearestRows, dy.reshape([height, width]) as tf.Tensor2D, true, false), this.nearestCols),
      };
    });
    return upsample(m) as tf.Tensor4D;
  }

  dispose(): void {
    tf.dispose([this.rows, this.cols, this.nearestRows, this.nearestCols]);
  }
}
