// Net2Vec's Custom_SGD (METHODS.md §0.6 with dampening 0): b = μ·b + g, p = p − η·b, buffers starting at zero (so
// the first step uses the raw gradient). Written out by hand because tf.train.momentum leaks a tensor per optimizer
// (its momentum scalar survives dispose() in tfjs-core 4.22), and probing creates one optimizer per probe.
import * as tf from '@tensorflow/tfjs-core';

export class MomentumSgd {
  private readonly buffers: tf.Variable[];

  constructor(private readonly vars: tf.Variable[], private readonly lr: number, private readonly momentum: number) {
    this.buffers = vars.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
  }

  /** One step on the loss `f`; returns the loss value before the step. */
  step(f: () => tf.Scalar): number {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(f, this.vars);
      this.vars.forEach((v, i) => {
        const b = this.buffers[i];
        b.assign(tf.add(tf.mul(b, this.momentum), grads[v.name]));
        v.assign(tf.sub(v, tf.mul(b, this.lr)));
      });
      return value;
    });
    const out = loss.dataSync()[0];
    loss.dispose();
    return out;
  }

  dispose(): void { tf.dispose(this.buffers); }
}
