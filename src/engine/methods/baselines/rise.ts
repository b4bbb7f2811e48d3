// RISE (Petsiuk et al.) as TorchRay's `rise` (METHODS.md §3.8): the saliency of the target is the mean over N random
// smooth masks M_i of sigmoid(Φ_target(x ⊙ M_i))·M_i. Masks are evaluated in chunks of `batchSize`, so memory stays
// bounded whatever N is.
import * as tf from '@tensorflow/tfjs-core';
import type { AttributionInput, AttributionMap, AttributionMethod, AttributionResult, RunContext } from '../attributionMethod';
import { checkAttributionInput, readMap, throwIfCancelled } from './saliencyCommon';
import { SeededRiseDraws, type RiseDraws } from './riseDraws';
import { riseGeometry, riseMasks } from './riseMasks';
import { numberSetting, rejectUnknownKeys, type PartialSettings } from './settingsValidation';

export interface RiseSettings {
  /** N, default 8000 (TR); the map is a Monte-Carlo estimate, noisier for fewer masks. */
  numMasks: number;
  /** s: the masks are s×s grids upsampled to the input (default 7; ≥ 2, reflect padding needs two cells). */
  numCells: number;
  /** Probability that a grid cell keeps the image (default 0.5). */
  p: number;
  /** Masks per forward pass (default 32, as TR). The seeded draws are made per chunk, so it changes the masks. */
  batchSize: number;
  /** Seed of the mask generator (mulberry32, not PyTorch's; default 0). */
  seed: number;
}

const NAME = 'rise';

/**
 * The RISE map [1, H, W, 1] for `numMasks` masks taken from `draws`, and the target logit on the clean input.
 * Exported so that the reference's recorded masks can be replayed (RecordedRiseDraws).
 */
export async function riseSaliency(
  input: AttributionInput, opts: { numMasks: number; numCells: number; batchSize: number }, draws: RiseDraws, ctx: RunContext = {},
): Promise<{ saliency: tf.Tensor4D; logit: number }> {
  const { model, input: x, target } = input;
  const [h, w] = model.info.inputShape;
  const g = riseGeometry(h, w, opts.numCells);
  const total = Math.ceil(opts.numMasks / opts.batchSize);
  const logitT = tf.tidy(() => tf.slice(model.logits(x), [0, target], [1, 1]));
  const logit = (await logitT.data())[0];
  logitT.dispose();
  let acc: tf.Tensor2D = tf.zeros([1, h * w]);
  try {
    for (let b = 0, done = 0; b < total; b++) {
      throwIfCancelled(ctx);
      const count = Math.min(opts.batchSize, opts.numMasks - done);
      const masks = riseMasks(draws.next(count), g);
      const next = tf.tidy(() => {
        // sigmoid of the logits, not softmax (§0.9 item 8); x ⊙ M_i in the normalised input space (§0.3).
        const probs = tf.sigmoid(tf.slice(model.logits(tf.mul(x, masks) as tf.Tensor4D), [0, target], [-1, 1]));
        return tf.add(acc, tf.matMul(probs, tf.reshape(masks, [count, h * w]), true, false)) as tf.Tensor2D;
      });
      masks.dispose();
      acc.dispose();
      acc = next;
      done += count;
      const report = ctx.onProgress && (b === total - 1 || b % Math.max(1, Math.floor(total / 10)) === 0);
      let maps: AttributionMap[] | undefined;
      if (report) {
        const partial = tf.tidy(() => tf.reshape(tf.div(acc, done), [1, h, w, 1]) as tf.Tensor4D);
        maps = [await readMap(NAME, partial)];
        partial.dispose();
      }
      ctx.onProgress?.({ step: b, total, maps });
      // Yields to the event loop between chunks (the worker stays responsive).
      await new Promise<void>((r) => setImmediate(r));
    }
    // TR divides by N (not N·p; §0.9 item 8).
    const saliency = tf.tidy(() => tf.reshape(tf.div(acc, opts.numMasks), [1, h, w, 1]) as tf.Tensor4D);
    return { saliency, logit };
  } finally {
    acc.dispose();
  }
}

export const riseMethod: AttributionMethod<RiseSettings> = {
  name: NAME,
  resolveSettings(partial: Partial<RiseSettings>, input: AttributionInput): RiseSettings {
    const p = partial as PartialSettings;
    rejectUnknownKeys(NAME, p, ['numMasks', 'numCells', 'p', 'batchSize', 'seed']);
    checkAttributionInput(NAME, input);
    const [h, w] = input.model.info.inputShape;
    return {
      numMasks: numberSetting(NAME, p, 'numMasks', 8000, { integer: true, min: 1, max: 1_000_000 }),
      numCells: numberSetting(NAME, p, 'numCells', 7, { integer: true, min: 2, max: Math.min(h, w) }),
      p: numberSetting(NAME, p, 'p', 0.5, { min: 0, exclusiveMin: true, max: 1 }),
      batchSize: numberSetting(NAME, p, 'batchSize', 32, { integer: true, min: 1, max: 1024 }),
      seed: numberSetting(NAME, p, 'seed', 0, { integer: true, min: 0, max: 0xffffffff }),
    };
  },
  async run(input: AttributionInput, settings: RiseSettings, ctx: RunContext): Promise<AttributionResult> {
    const t0 = Date.now();
    const [h, w] = input.model.info.inputShape;
    const g = riseGeometry(h, w, settings.numCells);
    const draws = new SeededRiseDraws(settings.seed, { numCells: settings.numCells, p: settings.p, cellHeight: g.cellHeight, cellWidth: g.cellWidth });
    const { saliency, logit } = await riseSaliency(input, settings, draws, ctx);
    try {
      const map = await readMap(NAME, saliency);
      return { method: NAME, target: input.target, settings: { ...settings }, maps: [map], scores: { original: logit }, elapsedMs: Date.now() - t0 };
    } finally {
      saliency.dispose();
    }
  },
};
