// Saliency from a layer's activation A and the plain gradient dA of the target logit with respect to it (METHODS.md
// §3.1, §3.5, §3.6): Grad-CAM and linear approximation differ only in how (A, dA) become one map.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';
import type { AttributionInput, AttributionMethod, AttributionResult, MethodName, RunContext } from '../attributionMethod';
import { checkAttributionInput, readMap, requireOpGraph, resizeToInput, smoothSaliency, targetLogit, throwIfCancelled } from './saliencyCommon';
import { numberSetting, rejectUnknownKeys, stringSetting, type PartialSettings } from './settingsValidation';
import { resolveSpatialLayer } from './spatialLayer';

export interface LayerSaliencySettings {
  /** The probed layer (a spatial H×W×D output); default: the last one before global pooling. */
  layer: string;
  /** Optional smoothing of the input-size map, σ = smooth·max(H, W), replicate padding. Default 0. */
  smooth: number;
}

/** (A [1,h,w,D], dA [1,h,w,D]) → saliency [1,h,w,1]. */
export type ToSaliency = (a: tf.Tensor4D, da: tf.Tensor4D) => tf.Tensor4D;

/** The raw low-resolution map [1, h, w, 1] at `layer` and the target logit on the unmodified input. */
export function layerSaliency(input: AttributionInput, layer: string, toSaliency: ToSaliency): { raw: tf.Tensor4D; logit: tf.Scalar } {
  const { model, input: x, target } = input;
  return tf.tidy(() => {
    const a = model.forward(x, [layer])[layer] as tf.Tensor4D;
    // The activation replaces the layer's value, so the gradient is taken with respect to it (TR's probe, §3.1).
    const score = (act: tf.Tensor4D) => targetLogit(model.forward(x, ['logits'], { [layer]: act }).logits as tf.Tensor2D, target);
    let value: tf.Scalar, grad: tf.Tensor;
    try {
      ({ value, grad } = tf.valueAndGrad(score)(a));
    } catch (e) {
      throw new EngineError('MODEL_UNSUPPORTED', `Cannot take the gradient at layer '${layer}': the model did not accept it as an override (${(e as Error).message.split('\n')[0]}). Try the layer's activation output.`);
    }
    return { raw: toSaliency(a, grad as tf.Tensor4D), logit: value };
  });
}

export function layerMethod(name: MethodName, toSaliency: ToSaliency): AttributionMethod<LayerSaliencySettings> {
  return {
    name,
    resolveSettings(partial: Partial<LayerSaliencySettings>, input: AttributionInput): LayerSaliencySettings {
      const p = partial as PartialSettings;
      rejectUnknownKeys(name, p, ['layer', 'smooth']);
      checkAttributionInput(name, input);
      requireOpGraph(name, input, 'gradients with respect to an intermediate layer');
      const requested = stringSetting(name, p, 'layer', '');
      return {
        layer: resolveSpatialLayer(name, input.model.info, requested || undefined),
        smooth: numberSetting(name, p, 'smooth', 0, { min: 0, max: 1 }),
      };
    },
    /**
     * Maps: `<name>` at the model's input resolution (bilinear, align_corners=False, then optional smoothing) and
     * `<name>_raw` at the layer's own resolution (TR's returned map, unsmoothed).
     */
    async run(input: AttributionInput, settings: LayerSaliencySettings, ctx: RunContext): Promise<AttributionResult> {
      const t0 = Date.now();
      throwIfCancelled(ctx);
      const [h, w] = input.model.info.inputShape;
      const { raw, logit } = layerSaliency(input, settings.layer, toSaliency);
      const full = tf.tidy(() => smoothSaliency(resizeToInput(raw, h, w), settings.smooth));
      try {
        const maps = [await readMap(name, full), await readMap(`${name}_raw`, raw)];
        const original = (await logit.data())[0];
        ctx.onProgress?.({ step: 0, total: 1 });
        return { method: name, target: input.target, settings: { ...settings }, maps, scores: { original }, elapsedMs: Date.now() - t0 };
      } finally {
        tf.dispose([raw, logit, full]);
      }
    },
  };
}
