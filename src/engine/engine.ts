// The engine's request handler: one function per request type, independent of how it is hosted (worker or test).
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo } from './backend/backend';
import { CancelledError, EngineError } from './errors';
import { decodeImage } from './image/decodeImage';
import { imageToInput, readRawInput, resolvePreprocessing } from './image/preprocess';
import type { LoadedModel } from './model/loadModel';
import { ModelCache } from './modelCache';
import './methods/allMethods';
import { getMethod, methodNames } from './methods/registry';
import { computeSimilarity } from './similarity/computeSimilarity';
import { handleProbe } from './probing/probeRequest';
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

/** The picture as the model saw it, in displayable RGB at the model's input size (for overlays). */
async function modelViewOf(loaded: LoadedModel, image: ImageSource): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const [h, w] = loaded.model.info.inputShape;
  if (image.kind === 'raw') {
    // Invert the preprocessing as far as it is known, so the overlay shows a recognisable picture.
    const pre = resolvePreprocessing(loaded.preprocessing, loaded.model.info.inputShape);
    const x = await readRawInput(image.path, image.layout, loaded.model.info.inputShape);
    const px = tf.tidy(() => {
      let t: tf.Tensor = x;
      if (pre.mean && pre.std) t = tf.mul(tf.add(tf.mul(t, pre.std), pre.mean), 255);
      else { const [lo, hi] = pre.inputRange ?? [0, 1]; t = tf.mul(tf.div(tf.sub(t, lo), hi - lo), 255); }
      if (pre.channels === 'bgr') t = tf.reverse(t, -1);
      if (t.shape[3] === 1) t = tf.tile(t, [1, 1, 1, 3]);
      return tf.clipByValue(tf.round(t), 0, 255);
    });
    const rgb = Uint8Array.from(await px.data());
    tf.dispose([x, px]);
    return { width: w, height: h, rgb };
  }
  const img = await decodeImage(image.path);
  const t = tf.tidy(() => tf.clipByValue(tf.round(tf.image.resizeBilinear(tf.tensor3d(img.data, [img.height, img.width, 3], 'float32'), [h, w])), 0, 255));
  const rgb = Uint8Array.from(await t.data());
  t.dispose();
  return { width: w, height: h, rgb };
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
    case 'explain': {
      const loaded = await models.get(r.model);
      const method = getMethod(r.method);
      const x = await loadInput(loaded, r.image);
      try {
        const info = loaded.model.info;
        let target = r.target;
        if (target === undefined) {
          const l = tf.tidy(() => tf.argMax(loaded.model.logits(x), 1));
          target = (await l.data())[0];
          l.dispose();
        }
        if (!Number.isInteger(target) || target < 0 || target >= info.numClasses)
          throw new EngineError('BAD_ARGUMENT', `Target class ${r.target} is out of range: this model has classes 0–${info.numClasses - 1}.`);
        const input = { model: loaded.model, input: x, target };
        // Settings are resolved (defaults filled, values checked) before any work starts.
        const settings = method.resolveSettings(r.settings as any, input);
        const result = await method.run(input, settings, {
          isCancelled: ctx.isCancelled,
          onProgress: (p) => ctx.progress({ step: p.step, total: p.total, terms: p.terms, maps: p.maps }),
        });
        return {
          ...result, backend: backendInfo().backend, model: info,
          targetLabel: loaded.labels?.[target] ?? `class ${target}`,
          image: await modelViewOf(loaded, r.image),
        } as EngineResultOf<T['type']>;
      } finally { x.dispose(); }
    }
    // Added for the Explain flow's method picker (issue #3).
    case 'methods':
      return { names: methodNames() } as EngineResultOf<T['type']>;
    // Similarity overlays (issue #6): activations once, normalised per cell; hovers are computed by the receiver.
    case 'similarity': {
      const loaded = await models.get(r.model);
      return await computeSimilarity(loaded, r.images, { layers: r.layers, batchSize: r.batchSize }, ctx) as EngineResultOf<T['type']>;
    }
    // Concept probing (issue #5): the whole pipeline lives in probing/.
    case 'probe': {
      const loaded = await models.get(r.model);
      return await handleProbe(loaded, r, ctx) as EngineResultOf<T['type']>;
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
