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

function minMs(reps: number, f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function measure(m: EngineModel, batch: number, reps: number): { fwd: number; fb: number } {
  const x = tf.randomUniform([batch, 224, 224, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  // Read the result and free it in the same step: a tensor returned from tf.tidy outlives it (one leak per call).
  const settle = (t: tf.Tensor) => { t.dataSync(); t.dispose(); };
  const fwd = () => settle(tf.tidy(() => m.logits(x)));
  const fb = () => settle(tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(m.logits(xx as tf.Tensor4D), [0, 7], [-1, 1])))(x)));
  // Warm-up: plans, weight packing, kernel caches.
  fwd(); fb();
  const live = tf.memory().numTensors;
  const r = { fwd: minMs(reps, fwd) / batch, fb: minMs(reps, fb) / batch };
  const leaked = tf.memory().numTensors - live;
  x.dispose();
  if (leaked !== 0) throw new Error(`${m.info.format} batch ${batch}: ${leaked} tensors leaked over ${2 * reps} timed calls`);
  return r;
}

/**
 * @param onnxPath the ONNX export of the shared MobileNet (../shared/reference/models/mobilenet_v1_025.onnx)
 * @param tfjsPath the TF.js layers model with the same weights (../shared/models/mobilenet_v1_025/model.json)
 */
export async function benchOnnx(onnxPath: string, tfjsPath: string, opts: { batches?: number[]; reps?: number } = {}): Promise<OnnxBenchResult> {
  const batches = opts.batches ?? [1, 3];
  const reps = opts.reps ?? 10;
  const onnx = (await loadModel({ path: onnxPath })).model;
  const tfjs = (await loadModel({ path: tfjsPath })).model;
  const rows: OnnxBenchRow[] = [];
  const ratios: OnnxBenchResult['ratios'] = [];
  try {
    for (const batch of batches) {
      // Interleaved so that load changes on a shared machine hit both models alike.
      const a = measure(onnx, batch, reps), b = measure(tfjs, batch, reps);
      const a2 = measure(onnx, batch, reps), b2 = measure(tfjs, batch, reps);
      const o = { fwd: Math.min(a.fwd, a2.fwd), fb: Math.min(a.fb, a2.fb) }, t = { fwd: Math.min(b.fwd, b2.fwd), fb: Math.min(b.fb, b2.fb) };
      rows.push({ model: 'onnx', batch, forwardMs: o.fwd, forwardBackwardMs: o.fb }, { model: 'tfjs', batch, forwardMs: t.fwd, forwardBackwardMs: t.fb });
      ratios.push({ batch, forward: o.fwd / t.fwd, forwardBackward: o.fb / t.fb });
    }
  } finally {
    onnx.dispose();
    tfjs.dispose();
  }
  return { backend: tf.getBackend(), rows, ratios };
}
