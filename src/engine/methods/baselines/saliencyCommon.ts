// Pieces shared by the TorchRay-style saliency baselines (METHODS.md §3.1): input checks, the one-hot backward seed,
// `max_c |grad|`, resizing a low-resolution map to the input and the optional Gaussian smoothing.
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, EngineError } from '../../errors';
import type { AttributionInput, AttributionMap, RunContext } from '../attributionMethod';
import { imsmooth } from '../extremal/gaussianSmoothing';

/** Checks that the input is one image of the model's size and the target a valid class (before any work). */
export function checkAttributionInput(method: string, { model, input, target }: AttributionInput): void {
  const [h, w, c] = model.info.inputShape;
  const s = input.shape;
  if (s.length !== 4 || s[0] !== 1 || s[1] !== h || s[2] !== w || s[3] !== c)
    throw new EngineError('INPUT_INVALID', `${method}: the input must be one preprocessed image [1, ${h}, ${w}, ${c}] (NHWC), got [${s.join(', ')}].`);
  const n = model.info.numClasses;
  if (!Number.isInteger(target) || target < 0 || target >= n)
    throw new EngineError('BAD_ARGUMENT', `${method}: target class must be an integer in [0, ${n - 1}], got ${target}.`);
}

/**
 * The scalar whose gradient TorchRay takes: backward seeded with a one-hot G at the target (§3.1 step 3) equals the
 * gradient of the sum of the target logits over the batch.
 */
export function targetLogit(logits: tf.Tensor2D, target: number): tf.Scalar {
  return tf.sum(tf.slice(logits, [0, target], [-1, 1]));
}

/** `max_c |g|` over channels (§3.2–3.4): [N, H, W, C] → [N, H, W, 1]. */
export function maxAbsOverChannels(g: tf.Tensor4D): tf.Tensor4D {
  return tf.max(tf.abs(g), 3, true);
}

/** Bilinear resize with PyTorch's align_corners=False (half-pixel centres; METHODS §0.4), as TR `resize_saliency`. */
export function resizeToInput(map: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  if (map.shape[1] === height && map.shape[2] === width) return map.clone();
  return tf.image.resizeBilinear(map, [height, width], false, true);
}

/**
 * TR's optional output smoothing (§3.1 step 7): Gaussian with σ = smooth·max(h, w) of the (resized) map, edges
 * replicated. `smooth = 0` returns a copy.
 */
export function smoothSaliency(map: tf.Tensor4D, smooth: number): tf.Tensor4D {
  if (smooth <= 0) return map.clone();
  return imsmooth(map, smooth * Math.max(map.shape[1], map.shape[2]), 'replicate');
}

/** Reads a [1, h, w, 1] map into an AttributionMap (outside any tidy: never return big arrays from tf.tidy). */
export async function readMap(name: string, map: tf.Tensor4D): Promise<AttributionMap> {
  const data = (await map.data()) as Float32Array;
  return { name, width: map.shape[2], height: map.shape[1], data: data.slice() };
}

/** Throws CancelledError when the host asked to stop (checked between batches). */
export function throwIfCancelled(ctx: RunContext): void {
  if (ctx.isCancelled?.()) throw new CancelledError();
}

/** Guided backprop, deconvnet and layer probes need an op-graph model (TF.js layers format). */
export function requireOpGraph(method: string, input: AttributionInput, why: string): void {
  if (input.model.info.format === 'tfjs-graph')
    throw new EngineError('MODEL_UNSUPPORTED', `${method} needs ${why}, which TF.js graph models do not support yet; convert the model as a TF.js layers model.`);
}
