// One group of areas optimised in the same forward pass (METHODS.md §1.8), behind one interface with two
// implementations: the host-side loop (the default, fast) and the all-tensor formulation (kept for comparison).
import type { EngineModel } from '../../model/modelTypes';
import type { ExtremalSettings } from './extremalSettings';
import type { MaskGenerator } from './maskGenerator';
import type * as tf from '@tensorflow/tfjs-core';

/** What one iteration of one chunk produced. */
export interface ChunkStep {
  reward: Float32Array;
  areaTerm: Float32Array;
  /** Only when traced: logits [k or 2k, classes], parameters before, the gradient of −energy, parameters after. */
  logits?: Float32Array;
  paramsBefore?: Float32Array;
  grad?: Float32Array;
  paramsAfter?: Float32Array;
}

export interface ChunkOptimizer {
  /** Area indices (into settings.areas) and the areas themselves. */
  readonly indices: number[];
  readonly areas: number[];
  /**
   * One iteration: generate, perturb, (flip), score, area term, gradient of −energy, dampened SGD step, clamp.
   * With `capture`, keeps the cropped masks generated at its start (see `masks`).
   */
  step(areaWeight: number, flipped: boolean, capture: boolean, trace: boolean): ChunkStep;
  /** The cropped masks [k·H·W] captured last (null before any capture). */
  masks(): Float32Array | null;
  dispose(): void;
}

/** Everything a chunk needs that is shared by all chunks of a run. */
export interface ChunkContext {
  model: EngineModel;
  target: number;
  settings: ExtremalSettings;
  generator: MaskGenerator;
  /** The pyramid [L, H, W, C] (§1.3). */
  pyramid: tf.Tensor4D;
}
