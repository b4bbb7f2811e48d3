// Messages between the extremal loop's network thread (pipelinedAreas.ts) and its mask thread (maskSideWorker.ts),
// validated on arrival. The images and gradients themselves travel through shared memory, one slot per area.
import type { GeneratorKernel } from './maskGenerator';
import type { ExtremalSettings } from './extremalSettings';

export interface MaskSideInit {
  type: 'init';
  height: number;
  width: number;
  settings: ExtremalSettings;
  kernel: GeneratorKernel;
  /** The perturbation pyramid's values [L·H·W·C] and shape. */
  levels: Float32Array;
  levelsShape: [number, number, number, number];
  /** Per area: the network input it writes, and the gradient it reads (float32, shared). */
  inputs: SharedArrayBuffer[];
  grads: SharedArrayBuffer[];
}

/** The network's gradient for `area` at `iteration` is in its slot: step, then prepare the next input. */
export interface MaskSideGrad {
  type: 'grad';
  area: number;
  iteration: number;
  areaWeight: number;
}

export type ToMaskSide = MaskSideInit | MaskSideGrad;

/** The input of `area` for `iteration` is in its slot; with the area term of the iteration before, if any. */
export interface MaskSideInput {
  type: 'input';
  area: number;
  iteration: number;
  previousAreaTerm?: number;
  /** The cropped mask [H·W] generated for this iteration, when the iteration keeps its masks. */
  mask?: Float32Array;
}

/** The last step of `area` is done. */
export interface MaskSideDone {
  type: 'done';
  area: number;
  areaTerm: number;
}

export interface MaskSideFailed {
  type: 'failed';
  message: string;
}

export type FromMaskSide = MaskSideInput | MaskSideDone | MaskSideFailed;

const isObject = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;
const isIndex = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

export function isToMaskSide(m: unknown): m is ToMaskSide {
  if (!isObject(m)) return false;
  if (m.type === 'grad') return isIndex(m.area) && isIndex(m.iteration) && typeof m.areaWeight === 'number';
  return m.type === 'init' && isIndex(m.height) && isIndex(m.width) && isObject(m.settings) && m.levels instanceof Float32Array &&
    Array.isArray(m.inputs) && Array.isArray(m.grads) && m.inputs.every((b) => b instanceof SharedArrayBuffer) &&
    m.grads.every((b) => b instanceof SharedArrayBuffer);
}

export function isFromMaskSide(m: unknown): m is FromMaskSide {
  if (!isObject(m)) return false;
  switch (m.type) {
    case 'input':
      return isIndex(m.area) && isIndex(m.iteration) && (m.previousAreaTerm === undefined || typeof m.previousAreaTerm === 'number') &&
        (m.mask === undefined || m.mask instanceof Float32Array);
    case 'done': return isIndex(m.area) && typeof m.areaTerm === 'number';
    case 'failed': return typeof m.message === 'string';
    default: return false;
  }
}
