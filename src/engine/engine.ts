// The engine's request handler: one function per request type, independent of how it is hosted (worker or test).
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo } from './backend/backend';
import { CancelledError, EngineError } from './errors';
import { decodeImage } from './image/decodeImage';
import { imageToInput, readRawInput, resolvePreprocessing } from './image/preprocess';
import type { LoadedModel } from './model/loadModel';
import { ModelCache } from './modelCache';
import type { EngineRequest, EngineResultOf, ImageSource, Prediction, ProgressPayload } from './worker/protocol';

export interface RequestContext {
  isCancelled(): boolean;
  progress(p: ProgressPayload): void;
}

const models = new ModelCache();

/** Preprocessed NHWC [1,H,W,C] input for a model, from an image file or a raw tensor file. */
export async function loadInput(loaded: LoadedModel, image: ImageSource): Promise<tf.Tensor4D> {
  const [h, w, c] = loaded.model.info.inputShape;
  if (image.kind === 'raw') return readRawInput(image.path, image.layout, [h, w, c]);
  const pre = resolvePreprocessing(loaded.preprocessing, loaded.model.info.inputShape);
  const img = await decodeImage(image.path);
  return imageToInput(img, pre);
}

export function topK(logits: Float32Array, labels: string[] | null, k: number): Prediction[] {
  const probs = tf.tidy(() => tf.softmax(tf.tensor1d(logits)).dataSync().slice());
  return Array.from(probs.keys())
    .sort((a, b) => probs[b] - probs[a])
    .slice(0, Math.max(1, Math.min(k, probs.length)))
    .map((index) => ({ index, label: labels?.[index] ?? `class ${index}`, probability: probs[index] }));
}

export async function handle<T extends EngineRequest>(req: T, ctx: RequestContext): Promise<EngineResultOf<T['type']>> {
  const r = req as EngineRequest;
  switch (r.type) {
    case 'info':
      return backendInfo() as EngineResultOf<T['type']>;
    case 'loadModel': {
      const loaded = await models.get(r.model);
      return { model: loaded.model.info, labels: loaded.labels } as EngineResultOf<T['type']>;
    }
    case 'predict': {
      if (!Number.isInteger(r.top) || r.top < 1) throw new EngineError('BAD_ARGUMENT', `--top must be a positive integer (got ${r.top})`);
      const loaded = await models.get(r.model);
      const x = await loadInput(loaded, r.image);
      const logitsT = tf.tidy(() => loaded.model.logits(x));
      const logits = (await logitsT.data()) as Float32Array;
      tf.dispose([x, logitsT]);
      return {
        backend: backendInfo().backend, model: loaded.model.info,
        predictions: topK(logits, loaded.labels, r.top), logits: Array.from(logits),
      } as EngineResultOf<T['type']>;
    }
    case 'selfTest': {
      if (r.action === 'crash') {
        // An exception outside any request handler, as a bug or a wasm abort would produce.
        setTimeout(() => { throw new Error('self-test crash'); }, 0);
        await new Promise((res) => setTimeout(res, 1000));
        return { done: true } as EngineResultOf<T['type']>;
      }
      const end = Date.now() + (r.ms ?? 10000);
      while (Date.now() < end) {
        if (r.action === 'spin' && ctx.isCancelled()) throw new CancelledError();
        tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync());
      }
      return { done: true } as EngineResultOf<T['type']>;
    }
  }
}
