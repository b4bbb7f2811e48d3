// The optimisation step as TF.js ops under tf.grad (generator custom op, applyPyramid, areaTerm, DampenedSgd):
// the first formulation of the loop, kept as the comparison for the host-side one (bench, tests).
import * as tf from '@tensorflow/tfjs-core';
import { areaTerm } from './areaTerm';
import type { ChunkContext, ChunkOptimizer, ChunkStep } from './chunkOptimizer';
import { DampenedSgd } from './dampenedSgd';
import { EXTREMAL_FIXED } from './extremalSettings';
import { extremalReward, variantBatch } from './rewards';
import { TorchTies } from './torchTies';

export class TensorChunk implements ChunkOptimizer {
  private params: tf.Tensor4D;
  private readonly sgd = new DampenedSgd(EXTREMAL_FIXED);
  private captured: Float32Array | null = null;
  private readonly ties: TorchTies;

  constructor(readonly indices: number[], readonly areas: number[], private readonly ctx: ChunkContext) {
    const [ph, pw] = ctx.generator.geometry.shapeIn;
    this.params = tf.ones([indices.length, ph, pw, 1]) as tf.Tensor4D;
    this.ties = new TorchTies(ctx.generator.geometry);
  }

  step(areaWeight: number, flipped: boolean, capture: boolean, trace: boolean): ChunkStep {
    const { model, target, settings: s, generator, pyramid } = this.ctx;
    let reward = new Float32Array(0);
    let regul = new Float32Array(0);
    let logits: Float32Array | undefined;
    const grad = tf.tidy(() => tf.grad((p: tf.Tensor) => {
      const { cropped, full } = generator.generate(p as tf.Tensor4D);
      if (capture) this.captured = Float32Array.from(cropped.dataSync());
      const batch = variantBatch(pyramid, cropped, s.variant);
      const y = model.logits(flipped ? tf.reverse(batch, 2) : batch);
      if (trace) logits = Float32Array.from(y.dataSync());
      const r = extremalReward(y, target, s.variant, s.reward);
      const params = p.dataSync();
      const cells = p.shape[1]! * p.shape[2]!;
      const a = areaTerm(full, this.areas, areaWeight, (k, mask, zeros) => this.ties.reference(mask, zeros, params, k * cells));
      reward = Float32Array.from(r.dataSync());
      regul = Float32Array.from(a.dataSync());
      return tf.neg(tf.sum(tf.add(r, a)));
    })(this.params)) as tf.Tensor4D;
    const stepped = this.sgd.step(this.params, grad);
    const next = tf.tidy(() => tf.clipByValue(stepped, 0, 1)) as tf.Tensor4D; // projection, no gradient
    const out: ChunkStep = { reward, areaTerm: regul, logits };
    if (trace) {
      out.paramsBefore = Float32Array.from(this.params.dataSync());
      out.grad = Float32Array.from(grad.dataSync());
      out.paramsAfter = Float32Array.from(next.dataSync());
    }
    tf.dispose([this.params, stepped, grad]);
    this.params = next;
    return out;
  }

  masks(): Float32Array | null {
    return this.captured;
  }

  dispose(): void {
    this.params.dispose();
    this.sgd.dispose();
  }
}
