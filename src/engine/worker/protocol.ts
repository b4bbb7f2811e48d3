// The engine ↔ host boundary: typed discriminated unions, validated on arrival (both directions).
// The host is the extension's engine client or the CLI; the engine runs in a worker_thread.
import type { AttributionMap, AttributionResult, MethodName } from '../methods/attributionMethod';
import type { ModelInfo, Preprocessing } from '../model/modelTypes';
import type { DatasetSpec, ProbeResult, ProbeSettingsInput } from '../probing/probeTypes';
import type { SimilarityResult } from '../similarity/similarityTypes';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export interface BackendInfo {
  backend: BackendName;
  requested: BackendChoice;
  /** Why this backend: e.g. "tfjs-node not installed; wasm with SIMD". */
  reason: string;
  tfjsVersion: string;
  simd?: boolean;
  gradKernels: boolean;
  memory: { numTensors: number; numBytes: number };
}

/** Where a model comes from and how its input is prepared. */
export interface ModelSpec {
  path: string;
  /** Labels file: JSON array of names, or {index: name} object, or a text file with one name a line. */
  labels?: string;
  preprocessing?: Partial<Preprocessing>;
  /** Layer/node whose output are the scores; default: the input of a final softmax, else the output. */
  outputLayer?: string;
}

export type ImageSource =
  | { kind: 'file'; path: string }
  /** Already-preprocessed float32 tensor, one image, bit for bit. */
  | { kind: 'raw'; path: string; layout: 'nchw' | 'nhwc' };

export interface Prediction { index: number; label: string; probability: number; }

export interface ExplainResult extends AttributionResult {
  backend: BackendName;
  targetLabel: string;
  model: ModelInfo;
  /** The image as the model saw it (RGB bytes at the model's input size), for overlays. */
  image: { width: number; height: number; rgb: Uint8Array };
}

export type EngineRequest =
  | { type: 'info' }
  | { type: 'loadModel'; model: ModelSpec }
  | { type: 'predict'; model: ModelSpec; image: ImageSource; top: number }
  /** Attribution: `target` defaults to the top-1 class; `settings` are the method's (validated before any work). */
  | { type: 'explain'; model: ModelSpec; image: ImageSource; method: MethodName; target?: number; settings: Record<string, unknown> }
  /** The attribution methods this build registers (added for the Explain flow's method picker, issue #3). */
  | { type: 'methods' }
  /** Similarity overlays (issue #6): normalised cell vectors of `layers` (default: one 14–28 grid layer) for the images. */
  | { type: 'similarity'; model: ModelSpec; images: ImageSource[]; layers?: string[]; batchSize?: number }
  /** Concept probing (issue #5): NetDissect + Net2Vec on a Broden or concept-folders dataset at one layer. */
  | { type: 'probe'; model: ModelSpec; dataset: DatasetSpec; settings: ProbeSettingsInput }
  /** Test aid: crashes the worker, or computes without yielding for `ms` (honouring cancellation or not). */
  | { type: 'selfTest'; action: 'crash' | 'spin' | 'spinUncooperative'; ms?: number };

export type EngineResultOf<T extends EngineRequest['type']> =
  T extends 'info' ? BackendInfo :
  T extends 'loadModel' ? { model: ModelInfo; labels: string[] | null } :
  T extends 'predict' ? { backend: BackendName; predictions: Prediction[]; logits: number[]; model: ModelInfo } :
  T extends 'explain' ? ExplainResult :
  T extends 'methods' ? { names: MethodName[] } :
  T extends 'similarity' ? SimilarityResult :
  T extends 'probe' ? ProbeResult :
  T extends 'selfTest' ? { done: true } :
  never;

export const CANCEL_SLOTS = 1024;

export interface ProgressPayload {
  step: number; total: number; message?: string; terms?: Record<string, number>;
  /** Occasionally, the current maps (e.g. extremal masks), so a panel can animate them. */
  maps?: AttributionMap[];
}

/** Host → worker. */
export type HostMessage =
  /** `cancelFlags`: one Int32 slot per request id (mod length), set by the host, read synchronously by the engine. */
  | { kind: 'init'; backend: BackendChoice; cancelFlags: SharedArrayBuffer }
  | { kind: 'request'; id: number; request: EngineRequest }
  | { kind: 'cancel'; id: number };

/** Worker → host. */
export type WorkerMessage =
  | { kind: 'ready'; backend: BackendInfo }
  | { kind: 'initError'; message: string }
  | { kind: 'progress'; id: number; progress: ProgressPayload }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; code: string; message: string }
  | { kind: 'log'; message: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const REQUEST_TYPES = new Set(['info', 'loadModel', 'predict', 'explain', 'methods', 'similarity', 'probe', 'selfTest']);

export function validateHostMessage(m: unknown): HostMessage {
  if (!isObj(m) || typeof m.kind !== 'string') throw new Error('malformed host message');
  switch (m.kind) {
    case 'init':
      if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(m.backend as string)) throw new Error(`unknown backend ${String(m.backend)}`);
      if (!(m.cancelFlags instanceof SharedArrayBuffer)) throw new Error('init without cancel flags');
      return m as HostMessage;
    case 'cancel':
      if (typeof m.id !== 'number') throw new Error('cancel without id');
      return m as HostMessage;
    case 'request':
      if (typeof m.id !== 'number' || !isObj(m.request) || !REQUEST_TYPES.has(m.request.type as string))
        throw new Error('malformed request');
      return m as HostMessage;
    default:
      throw new Error(`unknown host message kind ${m.kind}`);
  }
}

export function validateWorkerMessage(m: unknown): WorkerMessage {
  if (!isObj(m) || typeof m.kind !== 'string') throw new Error('malformed worker message');
  switch (m.kind) {
    case 'ready': if (!isObj(m.backend)) break; return m as WorkerMessage;
    case 'initError': case 'log': if (typeof m.message !== 'string') break; return m as WorkerMessage;
    case 'progress': if (typeof m.id !== 'number' || !isObj(m.progress)) break; return m as WorkerMessage;
    case 'result': if (typeof m.id !== 'number') break; return m as WorkerMessage;
    case 'error': if (typeof m.id !== 'number' || typeof m.message !== 'string') break; return m as WorkerMessage;
  }
  throw new Error(`malformed worker message ${JSON.stringify(m).slice(0, 200)}`);
}
