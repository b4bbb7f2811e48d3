// Activations of one layer over a whole dataset (METHODS.md §5.2 step 1), computed in batches with progress and
// cancellation, and cached on disk as raw float32 NHWC [N, h, w, K] so that probing another concept, or another
// run of the CLI, reuses them. The cache key covers everything the values depend on: the model's bytes (model.json
// and its weight shards, or the .onnx), the layer, the dataset (its index and root) and the resolved preprocessing.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, EngineError } from '../errors';
import { decodeImage } from '../image/decodeImage';
import { imageToInput } from '../image/preprocess';
import type { EngineModel, Preprocessing } from '../model/modelTypes';
import type { ProbeDataset } from './probeDataset';

export const DEFAULT_CACHE_DIR = path.join(os.tmpdir(), 'cnn-lens-activations');
const FORMAT_VERSION = 1;

export interface ActivationMeta {
  version: number;
  key: string;
  model: string;
  layer: string;
  dataset: string;
  preprocessing: Preprocessing;
  /** Images, activation rows, columns, filters. */
  n: number;
  h: number;
  w: number;
  k: number;
  /** Thresholds already computed from these activations, by quantile. */
  thresholds?: Record<string, number[]>;
}

/** Read access to the cached activations, one image or a run of images at a time (never all in memory). */
export class ActivationStore {
  private fd: number;
  readonly perImage: number;

  constructor(readonly file: string, readonly meta: ActivationMeta) {
    this.fd = fs.openSync(file, 'r');
    this.perImage = meta.h * meta.w * meta.k;
  }

  /** Activations of images [first, first + count), NHWC, concatenated. */
  read(first: number, count = 1): Float32Array {
    const out = new Float32Array(count * this.perImage);
    const bytes = out.byteLength;
    const got = fs.readSync(this.fd, new Uint8Array(out.buffer), 0, bytes, first * this.perImage * 4);
    if (got !== bytes) throw new EngineError('INTERNAL', `Activation cache ${this.file} is shorter than expected (image ${first}).`);
    return out;
  }

  /** Records thresholds in the cache's metadata so that a later run skips the pass that computes them. */
  saveThresholds(quantile: number, t: Float32Array): void {
    this.meta.thresholds = { ...this.meta.thresholds, [String(quantile)]: Array.from(t) };
    try { fs.writeFileSync(metaFile(this.file), JSON.stringify(this.meta)); } catch { /* a read-only cache still works */ }
  }

  close(): void { fs.closeSync(this.fd); }
}

const metaFile = (dataFile: string) => dataFile.replace(/\.f32$/, '.json');

/** SHA-256 of a model's files: model.json plus its weight shards, or the .onnx file (and external data). */
export function modelHash(modelPath: string): string {
  const h = createHash('sha256');
  let file = path.resolve(modelPath);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'model.json');
  if (!fs.existsSync(file)) throw new EngineError('MODEL_NOT_FOUND', `Model not found: ${file}`);
  const bytes = fs.readFileSync(file);
  h.update(bytes);
  const dir = path.dirname(file);
  if (/\.onnx$/i.test(file)) {
    for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(file)) && f !== path.basename(file)).sort())
      h.update(fs.readFileSync(path.join(dir, f)));
  } else {
    try {
      const json = JSON.parse(bytes.toString('utf8')) as { weightsManifest?: Array<{ paths: string[] }> };
      for (const g of json.weightsManifest ?? []) for (const p of g.paths) {
        const shard = path.join(dir, decodeURIComponent(p));
        if (fs.existsSync(shard)) h.update(fs.readFileSync(shard));
      }
    } catch { /* not JSON: the loader reports it */ }
  }
  return h.digest('hex');
}

/** [h, w, K] of a layer's output; fully connected (rank-2) outputs become 1×1×K (§5.6 thresholds them per unit). */
export function layerShape(model: EngineModel, layer: string): [number, number, number] {
  const info = model.info.layers.find((l) => l.name === layer);
  if (!info) {
    const spatial = model.info.layers.filter((l) => l.outputShape.length === 3).map((l) => l.name);
    throw new EngineError('BAD_ARGUMENT', `Unknown layer '${layer}'. Layers with spatial activations: ${spatial.join(', ')}.`);
  }
  const s = info.outputShape;
  if (s.length === 3 && s.every((d) => d > 0)) return [s[0], s[1], s[2]];
  if (s.length === 1 && s[0] > 0) return [1, 1, s[0]];
  throw new EngineError('BAD_ARGUMENT', `Layer '${layer}' has output shape [${s.join(', ')}]; probing needs [h, w, K] or [K].`);
}

export interface ExtractOptions {
  model: EngineModel;
  modelPath: string;
  preprocessing: Preprocessing;
  layer: string;
  dataset: ProbeDataset;
  cacheDir?: string;
  /** Images per forward pass (default 16). */
  batchSize?: number;
  isCancelled?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ExtractResult {
  store: ActivationStore;
  /** True when the activations came from the cache. */
  cached: boolean;
  /** Wall time of the extraction (0 when cached). */
  seconds: number;
}

/** Cached activations if their key matches, else computes them (batch by batch) and caches them. */
export async function extractActivations(o: ExtractOptions): Promise<ExtractResult> {
  const [h, w, k] = layerShape(o.model, o.layer);
  const n = o.dataset.images.length;
  if (!n) throw new EngineError('INPUT_INVALID', `The dataset ${o.dataset.root} has no images.`);
  const batchSize = o.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new EngineError('BAD_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}.`);
  const modelKey = modelHash(o.modelPath);
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT_VERSION, modelKey, o.layer, o.dataset.key, o.preprocessing, n, h, w, k]))
    .digest('hex').slice(0, 32);
  const dir = path.resolve(o.cacheDir ?? DEFAULT_CACHE_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${key}.f32`);
  const meta: ActivationMeta = { version: FORMAT_VERSION, key, model: modelKey, layer: o.layer, dataset: o.dataset.key, preprocessing: o.preprocessing, n, h, w, k };
  if (fs.existsSync(file) && fs.existsSync(metaFile(file))) {
    try {
      const old = JSON.parse(fs.readFileSync(metaFile(file), 'utf8')) as ActivationMeta;
      if (old.key === key && fs.statSync(file).size === n * h * w * k * 4) return { store: new ActivationStore(file, old), cached: true, seconds: 0 };
    } catch { /* unreadable metadata: recompute */ }
  }

  const t0 = performance.now();
  const partial = `${file}.${process.pid}.partial`;
  const fd = fs.openSync(partial, 'w');
  let next: Promise<unknown> | null = null;
  try {
    const load = (first: number) => Promise.all(o.dataset.images.slice(first, first + batchSize).map(async (im) => {
      try {
        return await decodeImage(im.file);
      } catch (e) {
        throw e instanceof EngineError ? new EngineError(e.code, `Dataset image ${im.id}: ${e.message}`) : e;
      }
    }));
    // The next batch decodes (sharp, on libuv threads) while this one runs through the network.
    let pending = load(0);
    next = pending;
    for (let first = 0; first < n; first += batchSize) {
      if (o.isCancelled?.()) throw new CancelledError();
      const decoded = await pending;
      next = null;
      if (first + batchSize < n) { pending = load(first + batchSize); next = pending; }
      const acts = tf.tidy(() => {
        const x = tf.concat(decoded.map((img) => imageToInput(img, o.preprocessing))) as tf.Tensor4D;
        const a = o.model.forward(x, [o.layer])[o.layer];
        return a.reshape([decoded.length, h, w, k]);
      });
      const values = (await acts.data()) as Float32Array;
      acts.dispose();
      fs.writeSync(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 0, values.byteLength, first * h * w * k * 4);
      o.onProgress?.(Math.min(n, first + batchSize), n);
    }
    fs.closeSync(fd);
    fs.renameSync(partial, file);
    fs.writeFileSync(metaFile(file), JSON.stringify(meta));
  } catch (e) {
    // A prefetch still running must not surface later as an unhandled rejection.
    next?.catch(() => undefined);
    try { fs.closeSync(fd); } catch { /* already closed */ }
    fs.rmSync(partial, { force: true });
    throw e;
  }
  return { store: new ActivationStore(file, meta), cached: false, seconds: (performance.now() - t0) / 1000 };
}
