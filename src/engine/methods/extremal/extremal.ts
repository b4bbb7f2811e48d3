// Extremal perturbation (Fong, Patrick, Vedaldi, ICCV 2019), faithful to TorchRay's extremal_perturbation:
// the optimisation loop of METHODS.md §1.5–1.10 over the pyramid (§1.3), mask generator (§1.4) and area term (§1.5).
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError } from '../../errors';
import type { AttributionInput, AttributionMap, AttributionMethod, AttributionResult, RunContext } from '../attributionMethod';
import { areaWeightAt } from './areaTerm';
import type { ChunkContext, ChunkOptimizer } from './chunkOptimizer';
import { EXTREMAL_FIXED, type ExtremalSettings, iterationFlags, resolveExtremalSettings } from './extremalSettings';
import { imsmooth } from './gaussianSmoothing';
import { HostChunk } from './hostChunk';
import { HostPyramid } from './hostPyramid';
import { type GeneratorKernel, MaskGenerator } from './maskGenerator';
import { applyPyramid, buildPyramid } from './perturbationPyramid';
import { maskWorkerPath, runPipelined } from './pipelinedAreas';
import { TensorChunk } from './tensorChunk';

/** What one iteration did to one chunk of areas (for faithfulness tests and debugging). */
export interface ExtremalTraceStep {
  iteration: number;
  /** Area indices (into settings.areas) of this chunk. */
  areas: number[];
  areaWeight: number;
  flipped: boolean;
  /** Parameters [k, h, w, 1] at the start of the iteration, the gradient of −energy, and after step + clamp. */
  paramsBefore: Float32Array;
  grad: Float32Array;
  paramsAfter: Float32Array;
  /** Model logits on the (flipped) perturbed batch, [k or 2k, classes]. */
  logits: Float32Array;
  reward: Float32Array;
  areaTerm: Float32Array;
}

export interface ExtremalRunContext extends RunContext {
  /** Called after every iteration and chunk with host copies of the optimisation state (slow; tests only). */
  trace?: (step: ExtremalTraceStep) => void;
  /**
   * How an iteration is computed: 'host' (default) runs everything but the network on host arrays; 'tensor' is the
   * all-TF.js formulation, same results up to float rounding, slower (kept for the benchmark's ratio and tests).
   */
  loop?: 'host' | 'tensor';
  /** The mask generator's implementation (default 'auto': the WebAssembly SIMD kernel where available). */
  generatorKernel?: GeneratorKernel;
  /**
   * 2 (default): with several areas, the mask side of the host loop runs in a second thread, overlapping the
   * network (pipelinedAreas.ts; same numbers). 1: everything in this thread.
   */
  threads?: 1 | 2;
}

export interface ExtremalResult extends AttributionResult {
  /** TorchRay's `hist`, [K, 2, maxIter] row-major: [i,0,t] reward of area i, [i,1,t] its area term (§1.9). */
  hist: Float32Array;
  histShape: [number, number, number];
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function chunkAreas(areas: number[], perChunk: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < areas.length; i += perChunk) out.push(areas.slice(i, i + perChunk).map((_, j) => i + j));
  return out;
}

/** Resizes (§1.10 step 2, bilinear = align_corners=False) and smooths (step 3) cropped masks [K, H, W, 1]. */
function finishMasks(masks: tf.Tensor4D, s: ExtremalSettings): tf.Tensor4D {
  return tf.tidy(() => {
    let out = masks;
    if (s.resize !== false) {
      const size: [number, number] = s.resize === true ? [masks.shape[1], masks.shape[2]] : [s.resize[1], s.resize[0]];
      out = s.resizeMode === 'bilinear'
        ? tf.image.resizeBilinear(out, size, false, true)
        : tf.image.resizeNearestNeighbor(out, size, false, false);
    }
    if (s.smooth > 0) out = imsmooth(out, s.smooth * Math.min(out.shape[1], out.shape[2]), 'constant');
    return out === masks ? masks.clone() : out;
  });
}

function toMaps(masks: tf.Tensor4D, areas: number[]): AttributionMap[] {
  const [k, h, w] = masks.shape;
  const data = masks.dataSync() as Float32Array;
  return Array.from({ length: k }, (_, i) => ({
    name: `extremal@${areas[i]}`, area: areas[i], width: w, height: h, data: data.slice(i * h * w, (i + 1) * h * w),
  }));
}

/** Target logit of the model on `x`, in batches of at most `maxBatch`. */
function targetScores(model: AttributionInput['model'], x: tf.Tensor4D, target: number, maxBatch: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.shape[0]; i += maxBatch) {
    const n = Math.min(maxBatch, x.shape[0] - i);
    const scores = tf.tidy(() => model.logits(x.slice([i, 0, 0, 0], [n, -1, -1, -1])).slice([0, target], [n, 1]));
    out.push(...scores.dataSync());
    scores.dispose();
  }
  return out;
}

async function run(input: AttributionInput, s: ExtremalSettings, ctx: ExtremalRunContext = {}): Promise<ExtremalResult> {
  const started = performance.now();
  const { model, target } = input;
  const [, height, width] = input.input.shape;
  const K = s.areas.length;
  const T = s.maxIter;
  const imagesPerArea = s.variant === 'dual' ? 2 : 1;
  const perChunk = Math.max(1, Math.floor(s.maxBatch / imagesPerArea));
  const hist = new Float32Array(K * 2 * T);

  const generator = new MaskGenerator(height, width, s.step, s.sigma, ctx.generatorKernel);
  const pyramid = buildPyramid(input.input, s.perturbation, s.numLevels, EXTREMAL_FIXED.maxBlur);
  const shared: ChunkContext = { model, target, settings: s, generator, pyramid };
  const hostPyramid = ctx.loop === 'tensor' ? null : new HostPyramid(pyramid);
  // Two threads where possible (pipelinedAreas.ts); one area has nothing to overlap.
  const workerPath = hostPyramid && !ctx.trace && K > 1 && ctx.threads !== 1 ? maskWorkerPath() : null;
  const chunks: ChunkOptimizer[] = workerPath ? [] : chunkAreas(s.areas, perChunk).map((indices) => {
    const areas = indices.map((i) => s.areas[i]);
    return hostPyramid ? new HostChunk(indices, areas, shared, hostPyramid) : new TensorChunk(indices, areas, shared);
  });
  const currentMasks = () => {
    const data = new Float32Array(K * height * width);
    chunks.forEach((c) => data.set(c.masks()!, c.indices[0] * height * width));
    return data;
  };
  /** Progress of iteration t (hist filled), with maps of the masks it kept if progress maps are wanted. */
  const report = async (t: number, masks: Float32Array | null, areaWeight: number) => {
    const terms: Record<string, number> = { areaWeight };
    s.areas.forEach((a, i) => {
      terms[`reward@${a}`] = hist[i * 2 * T + t];
      terms[`area@${a}`] = hist[(i * 2 + 1) * T + t];
    });
    let maps: AttributionMap[] | undefined;
    if (masks && s.progressMapsEvery > 0 && ctx.onProgress) {
      const current = tf.tensor4d(masks, [K, height, width, 1]);
      const finished = finishMasks(current, s);
      maps = toMaps(finished, s.areas);
      tf.dispose([current, finished]);
    }
    ctx.onProgress?.({ step: t, total: T, terms, maps });
    // Let the worker see a cancel message between iterations.
    await yieldToEventLoop();
  };
  try {
    let lastMasks: Float32Array;
    if (workerPath) {
      lastMasks = await runPipelined(workerPath, shared, { values: hostPyramid!.levels, shape: pyramid.shape }, generator.kernel, hist, {
        isCancelled: ctx.isCancelled,
        onIteration: report,
      });
    } else {
      for (let t = 0; t < T; t++) {
        // λ grows after each step (§0.9 item 3): iteration t uses 300·1.0035^t, multiplied up as the reference does.
        const areaWeight = areaWeightAt(t);
        if (ctx.isCancelled?.()) throw new CancelledError(`extremal perturbation cancelled at iteration ${t} of ${T}`);
        const { flipped, capture } = iterationFlags(s, t);
        for (const chunk of chunks) {
          // §1.8: generate, perturb, (flip), score, area term; step on −energy; clamp.
          const st = chunk.step(areaWeight, flipped, capture, Boolean(ctx.trace));
          if (ctx.trace) {
            ctx.trace({
              iteration: t, areas: chunk.indices, areaWeight, flipped, logits: st.logits!, reward: st.reward,
              areaTerm: st.areaTerm, paramsBefore: st.paramsBefore!, grad: st.grad!, paramsAfter: st.paramsAfter!,
            });
          }
          chunk.indices.forEach((i, j) => {
            hist[(i * 2) * T + t] = st.reward[j];
            hist[(i * 2 + 1) * T + t] = st.areaTerm[j];
          });
        }
        await report(t, capture ? currentMasks() : null, areaWeight);
      }
      lastMasks = currentMasks();
    }

    // §1.10: the masks generated at the start of the last iteration, then resize and smoothing.
    const masks = tf.tensor4d(lastMasks, [K, height, width, 1]);
    const finished = finishMasks(masks, s);
    const maps = toMaps(finished, s.areas);
    // Scores on the perturbed image (§1.3): target logit of apply(m̃) and apply(1 − m̃), unflipped.
    const preservedImages = applyPyramid(pyramid, masks);
    const inverse = tf.sub(1, masks) as tf.Tensor4D;
    const deletedImages = applyPyramid(pyramid, inverse);
    const scores = {
      original: targetScores(model, input.input, target, 1)[0],
      preserved: targetScores(model, preservedImages, target, s.maxBatch),
      deleted: targetScores(model, deletedImages, target, s.maxBatch),
    };
    tf.dispose([masks, finished, preservedImages, inverse, deletedImages]);
    return {
      method: 'extremal', target,
      settings: { ...s, fixed: { ...EXTREMAL_FIXED }, chunks: workerPath ? s.areas.map((a) => [a]) : chunks.map((c) => c.areas), threads: workerPath ? 2 : 1 },
      maps, scores, hist, histShape: [K, 2, T], elapsedMs: performance.now() - started,
    };
  } finally {
    for (const c of chunks) c.dispose();
    pyramid.dispose();
    generator.dispose();
  }
}

/** The `AttributionMethod` for extremal perturbation (METHODS.md §1). */
export const extremalPerturbation: Omit<AttributionMethod<ExtremalSettings>, 'run'> & {
  run(input: AttributionInput, settings: ExtremalSettings, ctx?: ExtremalRunContext): Promise<ExtremalResult>;
} = {
  name: 'extremal',
  resolveSettings: resolveExtremalSettings,
  run,
};

// The extended signature must stay usable wherever an AttributionMethod is expected.
export const extremalAsAttributionMethod: AttributionMethod<ExtremalSettings> = extremalPerturbation;
