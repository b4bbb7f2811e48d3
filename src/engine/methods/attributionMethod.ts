// One interface for every attribution method, so the CLI, the panels and the benchmarks treat them alike.
import type * as tf from '@tensorflow/tfjs-core';
import type { EngineModel } from '../model/modelTypes';

export type MethodName =
  | 'extremal' | 'meaningful' | 'gradient' | 'guided' | 'deconvnet' | 'gradcam' | 'linear' | 'rise' | 'occlusion';

export interface AttributionInput {
  model: EngineModel;
  /** Preprocessed input, NHWC [1, H, W, C], in the model's input space. Not disposed by the method. */
  input: tf.Tensor4D;
  /** Target class index. */
  target: number;
}

export interface AttributionProgress {
  /** 0-based step and total, e.g. iteration of an optimisation or batch of RISE masks. */
  step: number;
  total: number;
  /** Named scalar terms (per area for extremal perturbation, e.g. `reward@0.1`). */
  terms?: Record<string, number>;
  /** Occasionally, current maps for animation: same shape/meaning as the result maps. */
  maps?: AttributionMap[];
}

export interface AttributionMap {
  name: string;
  area?: number;
  width: number;
  height: number;
  /** Row-major values at the model's input resolution. */
  data: Float32Array;
}

export interface AttributionResult {
  method: MethodName;
  target: number;
  /** Every effective parameter, defaults included. */
  settings: Record<string, unknown>;
  maps: AttributionMap[];
  scores: { original: number; preserved?: number[]; deleted?: number[] };
  elapsedMs: number;
}

export interface RunContext {
  onProgress?: (p: AttributionProgress) => void;
  /** Checked between steps; a method throws CancelledError when it becomes true. */
  isCancelled?: () => boolean;
}

export interface AttributionMethod<S extends object = Record<string, unknown>> {
  readonly name: MethodName;
  /** Fills in defaults and validates; throws a clear error before any work starts. */
  resolveSettings(partial: Partial<S>, input: AttributionInput): S;
  run(input: AttributionInput, settings: S, ctx: RunContext): Promise<AttributionResult>;
}
