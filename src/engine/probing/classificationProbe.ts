// Net2Vec classification probe (METHODS.md §5.6; N2V linearprobe_disc_pytorch.py):
//   score(x) = Σ_k w_k · mean_{y,x} 1[A_k(x) > T_k] + b,   loss = BCEWithLogits(score, y_c(x))
// Each epoch uses all train positives plus as many random train negatives (without replacement; the reverse when
// negatives are fewer), shuffled; the val set is balanced once. SGD + momentum (§0.6), 30 epochs, batch 64.
// Reported: accuracy (|y − sigmoid(score)| < 0.5) and average precision on val.
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../datasets/seededRandom';
import { CancelledError, EngineError } from '../errors';
import { averagePrecision } from './averagePrecision';
import { MomentumSgd } from './momentumSgd';
import type { ProbeTraining } from './probeSettings';
import { initialWeights, type TrainedProbe } from './segmentationProbe';

/** Pooled features of every image [n × K] and, per image, whether it contains the concept. */
export interface ClassificationData {
  k: number;
  features: Float32Array;
  labels: Uint8Array;
}

/** All of the smaller class plus an equal number drawn without replacement from the larger, shuffled. */
export function balancedSample(positives: number[], negatives: number[], rng: SeededRandom): number[] {
  const [small, large] = positives.length <= negatives.length ? [positives, negatives] : [negatives, positives];
  const drawn = rng.shuffle([...large]).slice(0, small.length);
  return rng.shuffle([...small, ...drawn]);
}

export function trainClassificationProbe(
  d: ClassificationData, train: { positives: number[]; negatives: number[] }, t: ProbeTraining,
  opts: { filterMask?: Uint8Array; isCancelled?: () => boolean } = {},
): TrainedProbe {
  if (!train.positives.length || !train.negatives.length)
    throw new EngineError('INTERNAL', 'classification probe needs train positives and negatives');
  const k = d.k;
  const rng = new SeededRandom(t.seed + 1);
  const mask = opts.filterMask ? tf.tensor1d(Float32Array.from(opts.filterMask)) : null;
  const w = tf.tidy(() => tf.variable(tf.tensor1d(initialWeights(k, t.seed, opts.filterMask))));
  // N2V initialises an enabled bias with U(0, 1).
  const b = t.bias ? tf.tidy(() => tf.variable(tf.scalar(rng.next()))) : null;
  const optimizer = new MomentumSgd(b ? [w, b] : [w], t.learningRate, t.momentum);
  const features = tf.tensor2d(d.features, [d.labels.length, k]);
  const labels = tf.tensor1d(Float32Array.from(d.labels));
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < t.epochs; epoch++) {
      const order = balancedSample(train.positives, train.negatives, rng);
      let total = 0;
      for (let i = 0; i < order.length; i += t.batchSize) {
        if (opts.isCancelled?.()) throw new CancelledError();
        const idx = order.slice(i, i + t.batchSize);
        const ix = tf.tensor1d(idx, 'int32');
        const x = tf.gather(features, ix);
        const y = tf.gather(labels, ix);
        total += idx.length * optimizer.step(() => {
          const weff = mask ? tf.mul(w, mask) : w;
          let s: tf.Tensor = tf.reshape(tf.matMul(x, tf.reshape(weff, [k, 1])), [idx.length]);
          if (b) s = tf.add(s, b);
          return tf.losses.sigmoidCrossEntropy(y, s) as tf.Scalar; // mean over the batch, as BCEWithLogitsLoss
        });
        tf.dispose([ix, x, y]);
      }
      losses.push(total / order.length);
    }
    const final = tf.tidy(() => (mask ? tf.mul(w, mask) : tf.clone(w)));
    const weights = Float32Array.from(final.dataSync());
    final.dispose();
    return { weights, bias: b ? b.dataSync()[0] : 0, losses };
  } finally {
    tf.dispose([w, features, labels, ...(b ? [b] : []), ...(mask ? [mask] : [])]);
    optimizer.dispose();
  }
}

export interface ClassificationScore { accuracy: number; ap: number }

/** Accuracy and AP of score = features·w + b on the given images. */
export function scoreClassification(d: ClassificationData, images: number[], weights: Float32Array, bias: number): ClassificationScore {
  const k = d.k;
  const scores = images.map((i) => {
    let s = bias;
    for (let f = 0; f < k; f++) s += d.features[i * k + f] * weights[f];
    return s;
  });
  const y = images.map((i) => d.labels[i]);
  let right = 0;
  scores.forEach((s, j) => { if (Math.abs(y[j] - 1 / (1 + Math.exp(-s))) < 0.5) right++; });
  return { accuracy: images.length ? right / images.length : 0, ap: averagePrecision(scores, y) };
}
