// PyTorch's SGD with momentum and dampening (METHODS.md §0.6), which no TF.js optimizer implements:
//   t = 1: b = g;   t > 1: b = μ·b + (1 − δ)·g;   p ← p − η·b
import * as tf from '@tensorflow/tfjs-core';

export interface SgdOptions {
  learningRate: number;
  momentum: number;
  dampening: number;
}

/** One parameter tensor's optimizer state. Owns its momentum buffer; call `dispose` when done. */
export class DampenedSgd {
  private buffer: tf.Tensor | null = null;

  constructor(private readonly options: SgdOptions) {}

  /** Returns the updated parameters (a new tensor; `param` and `grad` are not disposed). */
  step(param: tf.Tensor, grad: tf.Tensor): tf.Tensor {
    const { learningRate, momentum, dampening } = this.options;
    const next = this.buffer
      ? tf.tidy(() => tf.add(tf.mul(this.buffer!, momentum), tf.mul(grad, 1 - dampening)))
      : grad.clone(); // first step: the raw gradient, no dampening
    this.buffer?.dispose();
    this.buffer = next;
    return tf.tidy(() => tf.sub(param, tf.mul(next, learningRate)));
  }

  dispose(): void {
    this.buffer?.dispose();
    this.buffer = null;
  }
}

/** The same update on host arrays, in the float32 steps the tensor version takes (for the host-side loop). */
export class HostDampenedSgd {
  private buffer: Float32Array | null = null;
  private readonly momentum: number;
  private readonly keep: number;
  private readonly rate: number;

  constructor(options: SgdOptions) {
    // Scalars enter tensor ops as float32.
    this.momentum = Math.fround(options.momentum);
    this.keep = Math.fround(1 - options.dampening);
    this.rate = Math.fround(options.learningRate);
  }

  /** Updates `param` in place with `grad`, then projects onto [lo, hi] (the clamp after every step, §1.8). */
  stepAndClamp(param: Float32Array, grad: Float32Array, lo: number, hi: number): void {
    const first = this.buffer === null;
    const b = (this.buffer ??= new Float32Array(param.length));
    for (let i = 0; i < param.length; i++) {
      b[i] = first ? grad[i] : Math.fround(b[i] * this.momentum) + Math.fround(grad[i] * this.keep);
      const p = Math.fround(param[i] - Math.fround(b[i] * this.rate));
      param[i] = p < lo ? lo : p > hi ? hi : p;
    }
  }
}
