// The input-gradient family of TorchRay (METHODS.md §3.1–3.4): back-propagate the one-hot target seed to the
// input with a given ReLU backward rule, then take `max_c |dx|`. Gradient, guided backprop and deconvnet differ only
// in that rule (reluRules.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { AttributionInput, AttributionMethod, AttributionResult, MethodName, RunContext } from '../attributionMethod';
import type { ReluRule } from '../../model/modelTypes';
import { checkAttributionInput, maxAbsOverChannels, readMap, requireOpGraph, smoothSaliency, targetLogit, throwIfCancelled } from './saliencyCommon';
import { numberSetting, rejectUnknownKeys, type PartialSettings } from './settingsValidation';

export interface BackpropSettings {
  /** Optional smoothing, σ = smooth·max(H, W), replicate padding (TR; the benchmark uses 0.02). Default 0. */
  smooth: number;
}

/** `max_c |∂Φ_target/∂x_c|` at the input, with every ReLU back-propagating by `rule`; [1, H, W, 1]. */
export function backpropSaliency(input: AttributionInput, rule: ReluRule): { saliency: tf.Tensor4D; logit: tf.Scalar } {
  const { model, input: x, target } = input;
  return tf.tidy(() => {
    const score = (t: tf.Tensor4D) => targetLogit(model.forward(t, ['logits'], undefined, rule).logits as tf.Tensor2D, target);
    const { value, grad } = tf.valueAndGrad(score)(x);
    return { saliency: maxAbsOverChannels(grad as tf.Tensor4D), logit: value };
  });
}

export function backpropMethod(name: MethodName, rule: ReluRule): AttributionMethod<BackpropSettings> {
  return {
    name,
    resolveSettings(partial: Partial<BackpropSettings>, input: AttributionInput): BackpropSettings {
      const p = partial as PartialSettings;
      rejectUnknownKeys(name, p, ['smooth']);
      checkAttributionInput(name, input);
      if (rule !== 'normal') requireOpGraph(name, input, `the ${rule} ReLU backward rule`);
      return { smooth: numberSetting(name, p, 'smooth', 0, { min: 0, max: 1 }) };
    },
    async run(input: AttributionInput, settings: BackpropSettings, ctx: RunContext): Promise<AttributionResult> {
      const t0 = Date.now();
      throwIfCancelled(ctx);
      const { saliency, logit } = backpropSaliency(input, rule);
      const smoothed = smoothSaliency(saliency, settings.smooth);
      try {
        const map = await readMap(name, smoothed);
        const original = (await logit.data())[0];
        ctx.onProgress?.({ step: 0, total: 1 });
        return { method: name, target: input.target, settings: { ...settings }, maps: [map], scores: { original }, elapsedMs: Date.now() - t0 };
      } finally {
        tf.dispose([saliency, logit, smoothed]);
      }
    },
  };
}
