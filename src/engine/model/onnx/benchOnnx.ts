// Benchmark for issue #4: ONNX MobileNet vs the TF.js layers model of the same weights, forward and
// forward+backward (input gradient of one class score) in ms per image, minimum over repeats (ENGINE_NOTES' method).
// Called by the bench harness; needs an initialised backend.
import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '../loadModel';
import type { EngineModel } from '../modelTypes';

export interface OnnxBenchRow {
  model: 'onnx' | 'tfjs';
  batch: number;
  forwardMs: number;
  forwardBackwardMs: number;
}

export interface OnnxBenchResult {
  backend: string;
  rows: OnnxBenchRow[];
  /** ONNX ÷ TF.js time per batch size: forward and forward+backward (the issue asks for ≤ 1.2). */
  ratios: { batch: number; forward: number; forwardBackward: number }[];
}

/** The two timed calls of one model: forward, and forward + input gradient of one class score. */
function calls(m: EngineModel, x: tf.Tensor4D): { fwd: () => void; fb: () => void } {
  // Read the result and free it in the same step: a tensor returned from tf.tidy outlives it (one leak per call).
  const settle = (t: tf.Tensor) => { t.dataSync(); t.dispose(); };
  return {
    fwd: () => settle(tf.tidy(() => m.logits(x))),
    fb: () => settle(tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(m.logits(xx as tf.Tensor4D), [0, 7], [-1, 1])))(x))),
  };
}

function timed(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/**
 * Minimum ms per image of each call of both models, the calls alternating within every repeat so that a load change
 * on a shared machine hits both models alike (a ratio of minima taken minutes apart measures the machine instead).
 */
function measurePair(onnx: EngineModel, tfjs: EngineModel, batch: number, reps: number): { onnx: { fwd: number; fb: number }; tfjs: { fwd: number; fb: number } } {
  const x = tf.randomUniform([batch, 224, 224, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const o = calls(onnx, x), t = calls(tfjs, x);
  // Warm-up: plans, weight packing, kernel caches.
  for (const f of [o.fwd, o.fb, t.fwd, t.fb]) f();
  const live = tf.memory().numTensors;
  const best = { of: Infinity, ob: Infinity, tf: Infinity, tb: Infinity };
  for (let i = 0; i < reps; i++) {
    best.of = Math.min(best.of, timed(o.fwd));
    best.tf = Math.min(best.tf, timed(t.fwd));
    best.ob = Math.min(best.ob, timed(o.fb));
    best.tb = Math.min(best.tb, timed(t.fb));
  }
  const leaked = tf.memory().numTensors - live;
  x.dispose();
  if (leaked !== 0) throw new Error(`batch ${batch}: ${leaked} tensors leaked over ${4 * reps} timed calls`);
  return { onnx: { fwd: best.of / batch, fb: best.ob / batch }, tfjs: { fwd: best.tf / batch, fb: best.tb / batch } };
}

/**
 * @param onnxPath the ONNX export of the shared MobileNet (../shared/reference/models/mobilenet_v1_025.onnx)
 * @param tfjsPath the TF.js layers model with the same weights (../shared/models/mobilenet_v1_025/model.json)
 */
export async function benchOnnx(onnxPath: string, tfjsPath: string, opts: { batches?: number[]; reps?: number } = {}): Promise<OnnxBenchResult> {
  const batches = opts.batches ?? [1, 3];
  const reps = opts.reps ?? 30;
  const onnx = (await loadModel({ path: onnxPath })).model;
  const tfjs = (await loadModel({ path: tfjsPath })).model;
  const rows: OnnxBenchRow[] = [];
  const ratios: OnnxBenchResult['ratios'] = [];
  try {
    for (const batch of batches) {
      const { onnx: o, tfjs: t } = measurePair(onnx, tfjs, batch, reps);
      rows.push({ model: 'onnx', batch, forwardMs: o.fwd, forwardBackwardMs: o.fb }, { model: 'tfjs', batch, forwardMs: t.fwd, forwardBackwardMs: t.fb });
      ratios.push({ batch, forward: o.fwd / t.fwd, forwardBackward: o.fb / t.fb });
    }
  } finally {
    onnx.dispose();
    tfjs.dispose();
  }
  return { backend: tf.getBackend(), rows, ratios };
}
