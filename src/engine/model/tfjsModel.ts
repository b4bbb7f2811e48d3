// An EngineModel backed by an OpGraph (layers models, folded) or by a tfjs-converter GraphModel.
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { EngineModel, ModelInfo } from './modelTypes';
import type { OpGraph } from './opGraph';
import type { ReluRule } from './reluRules';

/** Rank-2 [N, C] scores from whatever shape the score layer has ([N,1,1,C] for MobileNet's conv_preds). */
export const toScores = (t: tf.Tensor): tf.Tensor2D => (t.rank === 2 ? (t as tf.Tensor2D) : tf.reshape(t, [t.shape[0], -1]));

export class OpGraphModel implements EngineModel {
  constructor(readonly info: ModelInfo, private readonly graph: OpGraph, private readonly owned: { dispose(): void }[]) {}
  logits(x: tf.Tensor4D): tf.Tensor2D {
    return toScores(this.graph.run(x, [this.info.scoreLayer])[this.info.scoreLayer]);
  }
  forward(x: tf.Tensor4D, outputs: string[], overrides?: Record<string, tf.Tensor>, rule?: ReluRule): Record<string, tf.Tensor> {
    const names = outputs.map((o) => (o === 'logits' ? this.info.scoreLayer : o));
    const r = this.graph.run(x, names, overrides, rule);
    const out: Record<string, tf.Tensor> = {};
    outputs.forEach((o, i) => { out[o] = o === 'logits' ? toScores(r[names[i]]) : r[names[i]]; });
    return out;
  }
  dispose(): void { for (const o of this.owned) o.dispose(); }
}

export class ConverterModel implements EngineModel {
  constructor(readonly info: ModelInfo, private readonly model: GraphModel, private readonly inputNode: string) {}
  logits(x: tf.Tensor4D): tf.Tensor2D {
    return toScores(this.model.execute({ [this.inputNode]: x }, this.info.scoreLayer) as tf.Tensor);
  }
  forward(x: tf.Tensor4D, outputs: string[], overrides?: Record<string, tf.Tensor>, rule?: ReluRule): Record<string, tf.Tensor> {
    if (rule && rule !== 'normal') throw new Error('guided backprop and deconvnet need a layers model (TF.js graph models cannot change their ReLU rules)');
    if (overrides && Object.keys(overrides).length)
      throw new Error('intermediate overrides are not supported for TF.js graph models yet; convert the model as a layers model');
    const names = outputs.map((o) => (o === 'logits' ? this.info.scoreLayer : o));
    const r = this.model.execute({ [this.inputNode]: x }, names);
    const arr = Array.isArray(r) ? r : [r];
    const out: Record<string, tf.Tensor> = {};
    outputs.forEach((o, i) => { out[o] = o === 'logits' ? toScores(arr[i]) : arr[i]; });
    return out;
  }
  dispose(): void { this.model.dispose(); }
}
