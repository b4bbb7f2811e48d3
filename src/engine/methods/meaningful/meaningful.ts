// Meaningful perturbation (Fong & Vedaldi, ICCV 2017; METHODS.md §2): the smallest smooth deletion mask that
// suppresses the class probability. Minimises, with Adam and a [0, 1] projection after every step (§2.7),
//   loss(m) = Σ_batch f_c( P(crop_τ(x); M(m)) ) + λ1·‖1 − m‖₁ + λ2·TV_β(m)
// where m is the ⌈H/8⌉×⌈W/8⌉ parameter mask (1 = keep), M upsamples and blurs it (§2.3), P blends with a null image
// (§2.2), τ is the jitter (§2.6) and f_c the softmax probability (§2.5). Saliency = 1 − M(m*), the deleted region.
//
// Optimiser: tf.train.adam. It computes p −= η·m̂/(√v̂ + ε) with bias-corrected moments, exactly the update of
// MP-caffe's hand-written Adam and torch.optim.Adam (§0.6), provided ε = 1e−8 is passed (its default is 1e−7).
import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '../../datasets/seededRandom';
import { CancelledError } from '../../errors';
import type { AttributionInput, AttributionMap, AttributionMethod, AttributionResult, RunContext } from '../attributionMethod';
import { drawOffset } from './jitter';
import { initialMask } from './maskInit';
import { MaskUpsampler } from './maskUpsampling';
import { nullImageNames, Perturbation } from './nullImages';
import { l1Term, tvTerm } from './regularisers';
import { resolveMeaningfulSettings, type MeaningfulSettings } from './settings';

export type { MeaningfulSettings } from './settings';

/** Seed of the noise null image used for the final scores (fixed, so `scores.deleted` is reproducible). */
const FINAL_NOISE_SEED = 0x5eed;

/** Classes whose probabilities make the score: the target, or the clean image's top-k (§2.5). */
function scoreClasses(input: AttributionInput, topK: number): number[] {
  if (topK === 0) return [input.target];
  const top = tf.tidy(() => tf.topk(input.model.logits(input.input), topK).indices);
  const classes = Array.from(top.dataSync());
  top.dispose();
  return classes;
}

/**
 * Sum of the chosen classes' softmax probabilities, one value per image of the batch: [B]. `selection` is a
 * [1, classes] 0/1 row rather than a gather, whose gradient (UnsortedSegmentSum) the wasm backend lacks.
 */
function scoreOf(input: AttributionInput, batch: tf.Tensor4D, selection: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(tf.softmax(input.model.logits(batch)), selection), 1) as tf.Tensor1D);
}

function saliencyMap(upsampler: MaskUpsampler, mask: tf.Variable): AttributionMap {
  const s = tf.tidy(() => tf.sub(1, upsampler.apply(mask as unknown as tf.Tensor2D)));
  const data = s.dataSync() as Float32Array;
  s.dispose();
  return { name: 'meaningful', width: upsampler.width, height: upsampler.height, data };
}

async function run(input: AttributionInput, s: MeaningfulSettings, ctx: RunContext): Promise<AttributionResult> {
  const start = performance.now();
  const x = input.input;
  const [, height, width] = x.shape;
  const rng = new SeededRandom(s.seed);
  const classesList = scoreClasses(input, s.topK);

  const classes = tf.tidy(() => tf.sum(tf.oneHot(tf.tensor1d(classesList, 'int32'), input.model.info.numClasses), 0, true).toFloat() as tf.Tensor2D);
  const upsampler = new MaskUpsampler(height, width, s.maskScale, s.maskBlur, s.straightThroughBlur);
  const perturbation = new Perturbation(x, s.perturbation, s.blurSigma, s.jitter);
  const { maskHeight: mh, maskWidth: mw } = upsampler;
  // Variables escape tidy; the initial value tensor does not.
  const mask = tf.tidy(() => tf.variable(tf.tensor2d(initialMask(s.init, mh, mw, rng), [mh, mw])));
  const optimizer = tf.train.adam(s.learningRate, s.adamBeta1, s.adamBeta2, s.adamEpsilon);
  const m2d = mask as unknown as tf.Tensor2D;
  try {
    const original = tf.tidy(() => scoreOf(input, x, classes));
    const originalScore = original.dataSync()[0];
    original.dispose();

    for (let t = 0; t < s.iterations; t++) {
      if (ctx.isCancelled?.()) throw new CancelledError('Meaningful perturbation cancelled');
      const offset = drawOffset(rng, s.jitter);
      const noiseSeed = rng.int(2 ** 31);
      let terms: tf.Tensor1D | undefined;
      optimizer.minimize(() => {
        const perturbed = perturbation.apply(upsampler.apply(m2d), offset, noiseSeed);
        const score = tf.sum(scoreOf(input, perturbed, classes));
        const l1 = l1Term(m2d, s.l1Coeff);
        const tv = tvTerm(m2d, s.tvCoeff, s.tvBeta);
        const loss = tf.addN([score, l1, tv]) as tf.Scalar;
        terms = tf.keep(tf.stack([score, l1, tv, loss]) as tf.Tensor1D);
        return loss;
      }, false, [mask]);
      // Projection onto [0, 1] after the step; Adam's moments are kept (§2.7).
      tf.tidy(() => { mask.assign(tf.clipByValue(mask, 0, 1)); });
      const [score, l1, tv, loss] = terms!.dataSync();
      terms!.dispose();
      const maps = s.mapEvery > 0 && (t + 1) % s.mapEvery === 0 && t + 1 < s.iterations ? [saliencyMap(upsampler, mask)] : undefined;
      ctx.onProgress?.({ step: t, total: s.iterations, terms: { score, l1, tv, loss }, maps });
      // Let the event loop run (progress messages, cancellation flags set from callbacks).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }

    const map = saliencyMap(upsampler, mask);
    const deletedT = tf.tidy(() => scoreOf(input, perturbation.apply(upsampler.apply(m2d), null, FINAL_NOISE_SEED), classes));
    const deleted = Array.from(deletedT.dataSync());
    deletedT.dispose();
    return {
      method: 'meaningful',
      target: input.target,
      settings: {
        ...s,
        maskHeight: mh, maskWidth: mw,
        score: s.topK === 0 ? 'softmax probability of the target' : `sum of the softmax probabilities of the clean image's top ${s.topK}`,
        scoreClasses: classesList,
        nullImages: nullImageNames(s.perturbation),
        optimizer: 'adam',
      },
      maps: [map],
      scores: { original: originalScore, deleted },
      elapsedMs: performance.now() - start,
    };
  } finally {
    optimizer.dispose();
    tf.dispose([mask, classes]);
    upsampler.dispose();
    perturbation.dispose();
  }
}

export const meaningfulMethod: AttributionMethod<MeaningfulSettings> = {
  name: 'meaningful',
  resolveSettings: resolveMeaningfulSettings,
  run,
};
