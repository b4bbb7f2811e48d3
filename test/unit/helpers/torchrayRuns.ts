// The full TorchRay extremal-perturbation runs (../shared/reference/torchray/runs, METHODS §1.13) replayed on any
// EngineModel, and the acceptance criteria for their 800-iteration masks. Shared by the runs' tests on each model.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { EngineModel } from '../../../src/engine/model/modelTypes';
import { type ExtremalResult, extremalPerturbation } from '../../../src/engine/methods/extremal/extremal';
import type { ExtremalSettings } from '../../../src/engine/methods/extremal/extremalSettings';
import { REFERENCE_DIR, nchwToNhwc, readJson, readRef } from './reference';

export const RUNS_DIR = path.join(REFERENCE_DIR, 'torchray/runs');
export const RUNS = ['r1_cat_preserve', 'r2_cat_delete', 'r3_cat_dual', 'r4_robin_preserve', 'r5a_catdog_contrastive_top1', 'r5b_catdog_contrastive_cat'];

/**
 * TorchRay reruns on ±1-grey-level inputs reach mask IoU 0.44–0.80 (reference README "Stability"), so a final mask
 * passes with IoU ≥ 0.9, or IoU ≥ 0.4 with a mean within 0.03 and an equally good score; over all runs and areas,
 * the mean IoU must reach 0.6.
 */
export const MASK_CRITERIA = { match: 0.9, minIou: 0.4, meanDiff: 0.03, preservedScore: 0.7, deletedGap: 0.3, meanIou: 0.6 };

export interface RunSettings {
  arguments: { target: number; areas: number[]; variant: ExtremalSettings['variant']; reward_func: string; max_iter: number;
    perturbation: ExtremalSettings['perturbation']; num_levels: number; step: number; sigma: number; jitter: boolean };
}
export interface RunResults {
  clean: { target_logit: number };
  scores_on_final_masks: { preserved: { target_logit: number[] }; deleted: { target_logit: number[] } };
}

/**
 * Runs `run`'s settings for maxIter iterations on its exact input tensor (what `--input-raw` feeds), or, with
 * `noiseSeed`, on that tensor with every value moved by one float32 step up or down (seeded): float noise of the
 * size by which any two float32 implementations differ.
 */
export async function runEp(model: EngineModel, run: string, maxIter: number, noiseSeed?: number): Promise<{ result: ExtremalResult; settings: RunSettings; results: RunResults }> {
  const dir = path.join(RUNS_DIR, run);
  const settings = readJson<RunSettings>(dir, 'settings.json');
  const results = readJson<RunResults>(dir, 'results.json');
  const a = settings.arguments;
  const raw = readRef(dir, 'input.f32');
  const { data, shape } = nchwToNhwc(raw.data, raw.shape);
  if (noiseSeed !== undefined) oneStepNoise(data, noiseSeed);
  const input = tf.tensor4d(data, shape as [number, number, number, number]);
  try {
    const s = extremalPerturbation.resolveSettings({
      areas: a.areas, variant: a.variant, reward: a.reward_func === 'contrastive_reward' ? 'contrastive' : 'simple',
      perturbation: a.perturbation, numLevels: a.num_levels, step: a.step, sigma: a.sigma, jitter: a.jitter,
      maxIter, progressMapsEvery: 0,
    }, { model, input, target: a.target });
    const result = await extremalPerturbation.run({ model, input, target: a.target }, s);
    return { result, settings, results };
  } finally {
    input.dispose();
  }
}

/** Moves every value by one float32 step (ulp), up or down at random (LCG seeded by `seed`). */
function oneStepNoise(data: Float32Array, seed: number): void {
  let s = (seed * 7919 + 1) >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(data[i]) || 2 ** -126)) - 23);
    data[i] = Math.fround(data[i] + (s & 0x10000 ? ulp : -ulp));
  }
}

/** IoU of the masks thresholded at 0.5. */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] >= 0.5;
    const y = b[i] >= 0.5;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** One area's final mask against the reference's, by MASK_CRITERIA: the verdict and a line describing it. */
export function judgeMask(run: string, k: number, out: { result: ExtremalResult; settings: RunSettings; results: RunResults }):
  { ok: boolean; iou: number; line: string } {
  const a = out.settings.arguments;
  const area = a.areas[k];
  const ref = readRef(path.join(RUNS_DIR, run), `mask_area${area}.f32`).data;
  const ours = out.result.maps[k].data;
  const o = iou(ours, ref);
  const dMean = mean(ours) - mean(ref);
  const clean = out.results.clean.target_logit;
  const preserved = out.result.scores.preserved![k];
  const deleted = out.result.scores.deleted![k];
  const refPreserved = out.results.scores_on_final_masks.preserved.target_logit[k];
  const refDeleted = out.results.scores_on_final_masks.deleted.target_logit[k];
  const c = MASK_CRITERIA;
  const scoreOk = a.variant === 'delete' ? deleted <= refDeleted + c.deletedGap * (clean - refDeleted) : preserved >= c.preservedScore * refPreserved;
  const ok = o >= c.match || (o >= c.minIou && Math.abs(dMean) <= c.meanDiff && scoreOk);
  const line = `area ${area}: IoU ${o.toFixed(3)}, mean ${mean(ours).toFixed(4)} vs ${mean(ref).toFixed(4)} (Δ ${dMean.toFixed(4)}), ` +
    `preserved ${preserved.toFixed(3)} vs ${refPreserved.toFixed(3)}, deleted ${deleted.toFixed(3)} vs ${refDeleted.toFixed(3)}, ` +
    `clean ${clean.toFixed(3)}; score ok ${scoreOk}; ${out.result.elapsedMs.toFixed(0)} ms`;
  return { ok, iou: o, line };
}
