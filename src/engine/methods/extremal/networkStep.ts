// The network's part of one optimisation step (METHODS.md §1.6, §1.8): reward per area on the perturbed batch and
// the gradient of their sum w.r.t. that batch. Rows are independent (batch-1 and batch-3 gradients are bit-identical
// on wasm), which is what lets areas be scored one at a time (pipelinedAreas.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { ChunkContext } from './chunkOptimizer';
import { extremalReward } from './rewards';

export interface NetworkStep {
  reward: Float32Array;
  /** ∂(Σ rewards)/∂input, same layout as the input. */
  dx: Float32Array;
  /** Only when traced: the logits [images, classes]. */
  logits?: Float32Array;
}

export function networkStep(ctx: Pick<ChunkContext, 'model' | 'target' | 'settings'>, input: Float32Array,
  shape: [number, number, number, number], trace: boolean): NetworkStep {
  const { model, target, settings: s } = ctx;
  let reward = new Float32Array(0);
  let logits: Float32Array | undefined;
  const x = tf.tensor4d(input, shape);
  const dx = tf.tidy(() => tf.grad((xi: tf.Tensor) => {
    const y = model.logits(xi as tf.Tensor4D);
    if (trace) logits = Float32Array.from(y.dataSync());
    const r = extremalReward(y, target, s.variant, s.reward);
    reward = Float32Array.from(r.dataSync());
    return tf.sum(r);
  })(x));
  const out = { reward, dx: dx.dataSync() as Float32Array, logits };
  tf.dispose([x, dx]);
  return out;
}
