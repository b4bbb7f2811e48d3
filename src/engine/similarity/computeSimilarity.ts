// The `similarity` request (issue #6, METHODS.md §6): the chosen layers' activations for a set of images, computed
// once, in batches, in the engine worker, with each cell's vector normalised and everything packed into one
// Float32Array per layer. The hover itself is done by the receiver (webview, CLI) with cosineKernel.ts.
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo } from '../backend/backend';
import { CancelledError, EngineError } from '../errors';
import { decodeImage } from '../image/decodeImage';
import { imageToInput, resolvePreprocessing } from '../image/preprocess';
import type { LoadedModel } from '../model/loadModel';
import type { ImageSource, ProgressPayload } from '../worker/protocol';
import { normaliseCells } from './cellVectors';
import { resolveSimilarityLayers } from './similarityLayers';
import type { SimilarityImage, SimilarityLayer, SimilarityResult } from './similarityTypes';

export interface SimilarityContext {
  isCancelled(): boolean;
  progress(p: ProgressPayload): void;
}

export interface SimilarityOptions {
  /** Layer names (default: one layer, see similarityLayers.ts). */
  layers?: string[];
  /** Images per forward pass (default 4: batching helps small models a little, ENGINE_NOTES §2.2). */
  batchSize?: number;
}

/** Most images one request takes, and the most vector data it returns (the wasm heap is ≈ 3.8 GB, ENGINE_NOTES §6.2). */
export const MAX_IMAGES = 64;
export const MAX_VECTOR_BYTES = 512 << 20;

export async function computeSimilarity(loaded: LoadedModel, images: ImageSource[], opts: SimilarityOptions, ctx: SimilarityContext): Promise<SimilarityResult> {
  const t0 = Date.now();
  const info = loaded.model.info;
  if (!Array.isArray(images) || images.length === 0) throw new EngineError('BAD_ARGUMENT', 'similarity: give at least one image.');
  if (images.length > MAX_IMAGES) throw new EngineError('BAD_ARGUMENT', `similarity: at most ${MAX_IMAGES} images at once (got ${images.length}).`);
  for (const im of images)
    if (im?.kind !== 'file' || typeof im.path !== 'string')
      throw new EngineError('BAD_ARGUMENT', 'similarity: images are image files ({ kind: "file", path }); raw tensors are not supported here.');
  const batchSize = opts.batchSize ?? 4;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 64) throw new EngineError('BAD_ARGUMENT', `similarity: batchSize must be an integer in 1–64 (got ${batchSize}).`);
  const layerInfos = resolveSimilarityLayers(info, opts.layers);
  const bytes = layerInfos.reduce((s, l) => s + 4 * images.length * l.outputShape[0] * l.outputShape[1] * l.outputShape[2], 0);
  if (bytes > MAX_VECTOR_BYTES)
    throw new EngineError('BAD_ARGUMENT', `similarity: ${images.length} images at ${layerInfos.map((l) => l.name).join(', ')} need ${(bytes / 2 ** 20).toFixed(0)} MB of activations, more than ${MAX_VECTOR_BYTES / 2 ** 20} MB; use fewer images or a smaller layer.`);

  const layers: SimilarityLayer[] = layerInfos.map((l) => {
    const [rows, cols, channels] = l.outputShape;
    return { name: l.name, rows, cols, channels, vectors: new Float32Array(images.length * rows * cols * channels), nonNegative: true };
  });
  const names = layers.map((l) => l.name);
  const views: SimilarityImage[] = [];
  const pre = resolvePreprocessing(loaded.preprocessing, info.inputShape);
  const [h, w] = info.inputShape;
  const total = images.length;
  ctx.progress({ step: 0, total, message: `Activations at ${names.join(', ')}: 0/${total} images` });

  for (let start = 0; start < total; start += batchSize) {
    const batch = images.slice(start, start + batchSize) as { kind: 'file'; path: string }[];
    const inputs: tf.Tensor4D[] = [];
    try {
      for (const im of batch) {
        if (ctx.isCancelled()) throw new CancelledError();
        const img = await decodeImage(im.path);
        inputs.push(imageToInput(img, pre));
        views.push({ path: im.path, width: w, height: h, rgb: await modelView(img.data, img.width, img.height, h, w) });
      }
      if (ctx.isCancelled()) throw new CancelledError();
      const outs = tf.tidy(() => {
        const x = inputs.length === 1 ? inputs[0] : tf.concat(inputs, 0);
        const acts = loaded.model.forward(x, names);
        return names.map((n) => {
          const a = acts[n];
          if (a.rank !== 4) throw new EngineError('INTERNAL', `layer ${n} gave a rank-${a.rank} tensor, expected NHWC`);
          return { normalised: normaliseCells(a as tf.Tensor4D), min: tf.min(a) };
        });
      });
      try {
        for (let k = 0; k < layers.length; k++) {
          const l = layers[k];
          const data = (await outs[k].normalised.data()) as Float32Array;
          l.vectors.set(data, start * l.rows * l.cols * l.channels);
          if ((await outs[k].min.data())[0] < 0) l.nonNegative = false;
        }
      } finally {
        tf.dispose(outs.flatMap((o) => [o.normalised, o.min]));
      }
    } finally {
      tf.dispose(inputs);
    }
    const done = Math.min(total, start + batchSize);
    ctx.progress({ step: done, total, message: `Activations at ${names.join(', ')}: ${done}/${total} images` });
  }
  return { backend: backendInfo().backend, model: info, images: views, layers, elapsedMs: Date.now() - t0 };
}

/** The picture as the model saw it: RGB bytes stretched to the input size (as imageToInput does), for the overlays. */
async function modelView(data: Uint8Array, width: number, height: number, h: number, w: number): Promise<Uint8Array> {
  const t = tf.tidy(() => tf.clipByValue(tf.round(tf.image.resizeBilinear(tf.tensor3d(Float32Array.from(data), [height, width, 3]), [h, w])), 0, 255));
  try {
    return Uint8Array.from(await t.data());
  } finally {
    t.dispose();
  }
}
