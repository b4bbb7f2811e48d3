// Net2Vec segmentation probe (METHODS.md §5.5; N2V linearprobe_pytorch.py, probelinear_pytorch.py):
//   M(x; w) = sigmoid( up_bilinear_corner_aligned( Σ_k w_k · 1[A_k(x) > T_k] ) + b )       at sh×sw
//   ℒ = −(1/B) Σ_x Σ_pixels [ α·L·M + (1 − α)·(1 − L)·(1 − M) ]                            (no logarithm)
// trained with SGD + momentum (Custom_SGD, §0.6) in dataset order, and evaluated by set IoU of
// M > 0.5 against L over the val images containing the concept.
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, EngineError } from '../errors';
import { SeededRandom } from '../datasets/seededRandom';
import type { ProbeSamples } from './probeSamples';
import { MomentumSgd } from './momentumSgd';
import type { ProbeTraining } from './probeSettings';

export interface TrainedProbe {
  /** w ∈ R^K (zeros outside the filter mask, if one was given). */
  weights: Float32Array;
  bias: number;
  /** Mean loss per epoch. */
  losses: number[];
}

export interface SegmentationProbe extends TrainedProbe { alpha: number }

/** U(−1/√K, 1/√K) from the seed (§5.5), zero outside the mask. */
export function initialWeights(k: number, seed: number, mask?: Uint8Array): Float32Array {
  const rng = new SeededRandom(seed);
  const r = 1 / Math.sqrt(k);
  return Float32Array.from({ length: k }, (_, f) => (mask && !mask[f] ? 0 : rng.uniform(-r, r)));
}

/** α = 1 − mean over images of the fraction of positive pixels; 0 means "no pixel data" (weighting disabled). */
export function positiveWeight(s: ProbeSamples): number {
  const p = s.sh * s.sw;
  let sum = 0;
  for (let i = 0; i < s.n; i++) {
    let pos = 0;
    for (let j = 0; j < p; j++) pos += s.targets![i * p + j];
    sum += pos / p;
  }
  return 1 - sum / s.n;
}

function checkSamples(s: ProbeSamples): void {
  if (!s.targets) throw new EngineError('INTERNAL', 'segmentation probe samples need targets');
  if (s.binary.length !== s.n * s.h * s.w * s.k || s.targets.length !== s.n * s.sh * s.sw)
    throw new EngineError('INTERNAL', 'segmentation probe samples have inconsistent sizes');
}

/** Batch tensors (binary maps as float32, targets), built once per training or evaluation. */
function* batches(s: ProbeSamples, size: number): Generator<{ x: tf.Tensor4D; y: tf.Tensor3D; b: number }> {
  const per = s.h * s.w * s.k;
  const perT = s.sh * s.sw;
  for (let i = 0; i < s.n; i += size) {
    const b = Math.min(size, s.n - i);
    const x = tf.tensor4d(Float32Array.from(s.binary.subarray(i * per, (i + b) * per)), [b, s.h, s.w, s.k]);
    const y = tf.tensor3d(Float32Array.from(s.targets!.subarray(i * perT, (i + b) * perT)), [b, s.sh, s.sw]);
    yield { x, y, b };
  }
}

/** Pre-sigmoid map up(Σ w·B) + b at sh×sw: [B, sh, sw]. */
export function logitsOf(x: tf.Tensor4D, w: tf.Tensor1D, bias: tf.Scalar | null, sh: number, sw: number): tf.Tensor3D {
  const [b, h, wd, k] = x.shape;
  const z = tf.reshape(tf.matMul(tf.reshape(x, [b * h * wd, k]), tf.reshape(w, [k, 1])), [b, h, wd, 1]) as tf.Tensor4D;
  // Weighted sum at activation resolution, then corner-aligned bilinear upsampling (PyTorch ≤ 0.3), then sigmoid.
  let up: tf.Tensor = tf.reshape(tf.image.resizeBilinear(z, [sh, sw], true, false), [b, sh, sw]);
  if (bias) up = tf.add(up, bias);
  return up as tf.Tensor3D;
}

export function trainSegmentationProbe(
  s: ProbeSamples, t: ProbeTraining, opts: { filterMask?: Uint8Array; isCancelled?: () => boolean } = {},
): SegmentationProbe {
  checkSamples(s);
  if (s.n === 0) throw new EngineError('INTERNAL', 'no training images');
  const a = positiveWeight(s);
  // α = 0: every target is all ones (image-level labels), the weighting is disabled (α = β = 1).
  const [alpha, beta] = a === 0 ? [1, 1] : [a, 1 - a];
  const mask = opts.filterMask ? tf.tensor1d(Float32Array.from(opts.filterMask)) : null;
  const w = tf.tidy(() => tf.variable(tf.tensor1d(initialWeights(s.k, t.seed, opts.filterMask))));
  const b = t.bias ? tf.tidy(() => tf.variable(tf.scalar(0))) : null;
  const optimizer = new MomentumSgd(b ? [w, b] : [w], t.learningRate, t.momentum);
  const data = [...batches(s, t.batchSize)];
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < t.epochs; epoch++) {
      let total = 0;
      for (const { x, y, b: n } of data) {
        if (opts.isCancelled?.()) throw new CancelledError();
        total += n * optimizer.step(() => {
          const weff = (mask ? tf.mul(w, mask) : w) as tf.Tensor1D;
          const m = tf.sigmoid(logitsOf(x, weff, b, s.sh, s.sw));
          const pos = tf.mul(tf.mul(y, m), alpha);
          const neg = tf.mul(tf.mul(tf.sub(1, y), tf.sub(1, m)), beta);
          return tf.div(tf.neg(tf.sum(tf.add(pos, neg))), n) as tf.Scalar;
        });
      }
      losses.push(total / s.n);
    }
    const final = tf.tidy(() => (mask ? tf.mul(w, mask) : tf.clone(w)));
    const weights = Float32Array.from(final.dataSync());
    final.dispose();
    return { weights, bias: b ? b.dataSync()[0] : 0, alpha: a, losses };
  } finally {
    tf.dispose(data.flatMap((d) => [d.x, d.y]));
    tf.dispose([w, ...(b ? [b] : []), ...(mask ? [mask] : [])]);
    optimizer.dispose();
  }
}

export interface SegmentationScore {
  /** Σ|M ∧ L| / Σ|M ∨ L| over the images (§5.4 IoU_set). */
  iou: number;
  /** Per-image IoU (N2V ind_ious), mean over images. */
  meanImageIou: number;
}

/** Set IoU of M > 0.5 (⇔ logit > 0) against L. */
export function scoreSegmentation(s: ProbeSamples, weights: Float32Array, bias: number): SegmentationScore {
  checkSamples(s);
  let inter = 0;
  let union = 0;
  let perImage = 0;
  const p = s.sh * s.sw;
  const w = tf.tensor1d(weights);
  const b = tf.scalar(bias);
  try {
    let offset = 0;
    for (const { x, y, b: n } of batches(s, 32)) {
      const on = tf.tidy(() => tf.cast(tf.greater(logitsOf(x, w, b, s.sh, s.sw), 0), 'int32'));
      const m = on.dataSync();
      tf.dispose([x, y, on]);
      for (let i = 0; i < n; i++) {
        let ii = 0, uu = 0;
        for (let j = 0; j < p; j++) {
          const l = s.targets![(offset + i) * p + j];
          const v = m[i * p + j];
          if (l && v) ii++;
          if (l || v) uu++;
        }
        inter += ii;
        union += uu;
        perImage += ii / (uu + 1e-20);
      }
      offset += n;
    }
  } finally { tf.dispose([w, b]); }
  return { iou: inter / (union + 1e-20), meanImageIou: s.n ? perImage / s.n : 0 };
}
