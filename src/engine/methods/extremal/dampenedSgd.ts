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
