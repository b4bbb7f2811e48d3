// The perturbation pyramid's level interpolation (METHODS.md §1.3) on host arrays, for the optimisation loop:
// the same float32 arithmetic as `applyPyramid`, and its gradient w.r.t. the mask, without tensor round trips.
import type * as tf from '@tensorflow/tfjs-core';
import { PyramidKernel } from './pyramidKernel';

/** The pyramid Y [L, H, W, C] as one host array. */
export class HostPyramid {
  readonly levels: Float32Array;
  readonly numLevels: number;
  readonly pixels: number;
  readonly channels: number;
  /** The same loops in WebAssembly (pyramidKernel.wat), where available: about twice as fast. */
  private readonly kernel: PyramidKernel | null;

  /**
   * From the pyramid tensor, or from its values [L·H·W·C] and shape (in a thread without TF.js tensors); `kernel`
   * false keeps to the JavaScript loops (the tests' reference).
   */
  constructor(pyramid: tf.Tensor4D | { levels: Float32Array; shape: [number, number, number, number] }, kernel = true) {
    const [numLevels, h, w, c] = pyramid.shape;
    this.levels = 'levels' in pyramid ? pyramid.levels : Float32Array.from(pyramid.dataSync() as Float32Array);
    this.numLevels = numLevels;
    this.pixels = h * w;
    this.channels = c;
    this.kernel = kernel ? PyramidKernel.create(this.levels, this.pixels, c) : null;
  }

  /**
   * Perturbed images for `count` masks [count·H·W] (or 1 − mask when `invert`, the deleted image), written to
   * `out` [count·H·W·C] from image `first` on: out = (1 − f)·Y[k] + f·Y[min(k+1, L−1)], w = m·(L−1), k = ⌊w⌋, f = w − k,
   * each step rounded to float32 as the tensor version computes it.
   */
  apply(mask: Float32Array, count: number, invert: boolean, out: Float32Array, first: number): void {
    const { levels, numLevels, pixels, channels } = this;
    const top = numLevels - 1;
    if (this.kernel) return this.kernel.apply(top, mask, count, invert, out, first);
    for (let i = 0; i < count * pixels; i++) {
      const m = invert ? Math.fround(1 - mask[i]) : mask[i];
      const scaled = Math.fround(m * top);
      const k = Math.floor(scaled);
      const f = Math.fround(scaled - k);
      const g = Math.fround(1 - f);
      const p = i % pixels;
      const lo = (k * pixels + p) * channels;
      const hi = (Math.min(k + 1, top) * pixels + p) * channels;
      const o = (first * pixels + i) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = Math.fround(g * levels[lo + c]) + Math.fround(f * levels[hi + c]);
    }
  }

  /**
   * Adds sign·∂/∂m of Σ dy·apply(m) (or of apply(1 − m) when `invert`; the chain rule's −1 is folded into `sign`)
   * to `grad` [count·H·W]: (L−1)·Σ_c dy_c·(Y[k+1]_c − Y[k]_c), the level k held constant (0 at m = 1, §0.7).
   */
  backward(dy: Float32Array, first: number, mask: Float32Array, count: number, invert: boolean, sign: number, grad: Float64Array): void {
    const { levels, numLevels, pixels, channels } = this;
    const top = numLevels - 1;
    if (this.kernel) return this.kernel.backward(top, dy, first, mask, count, invert, sign, grad);
    for (let i = 0; i < count * pixels; i++) {
      const m = invert ? Math.fround(1 - mask[i]) : mask[i];
      const k = Math.floor(Math.fround(m * top));
      const p = i % pixels;
      const lo = (k * pixels + p) * channels;
      const hi = (Math.min(k + 1, top) * pixels + p) * channels;
      const o = (first * pixels + i) * channels;
      let s = 0;
      for (let c = 0; c < channels; c++) s += dy[o + c] * (levels[hi + c] - levels[lo + c]);
      grad[i] += sign * top * s;
    }
  }
}
