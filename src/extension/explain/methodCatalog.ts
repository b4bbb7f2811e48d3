// What the quick picks say about each attribution method, and the parameters "Advanced…" lets a user set.
// Names and keys are the engine's (src/engine/methods/*); the engine validates values and rejects unknown keys, so
// this list only decides what is offered. Sections refer to ../shared/docs/METHODS.md.
import type { MethodName } from '../../engine/methods/attributionMethod';

export type ParamType = 'number' | 'integer' | 'numbers' | 'enum' | 'boolean' | 'string' | 'layer';

export interface MethodParam {
  key: string;
  type: ParamType;
  description: string;
  /** The engine's default, shown in the picker (the engine fills it in when the key is absent). */
  defaultText: string;
  options?: readonly string[];
}

export interface MethodInfo {
  name: MethodName;
  label: string;
  detail: string;
  params: readonly MethodParam[];
  /** Iterative methods stream intermediate maps; the panel animates them. */
  live: boolean;
}

const smooth: MethodParam = { key: 'smooth', type: 'number', description: 'Gaussian smoothing of the map, σ as a fraction of the longer side', defaultText: '0' };
const layer: MethodParam = { key: 'layer', type: 'layer', description: 'Layer whose activations are explained', defaultText: 'last spatial layer before pooling' };
const seed: MethodParam = { key: 'seed', type: 'integer', description: 'Random seed (results are reproducible)', defaultText: '0' };

export const METHODS: readonly MethodInfo[] = [
  {
    name: 'extremal', label: 'Extremal perturbation', live: true,
    detail: 'Fong, Patrick & Vedaldi 2019: the smooth mask of a given area that best preserves the class (§1)',
    params: [
      { key: 'areas', type: 'numbers', description: 'Target area fractions, one mask each', defaultText: '0.1' },
      { key: 'variant', type: 'enum', options: ['preserve', 'delete', 'dual'], description: 'Preserve the region, delete it, or both', defaultText: 'preserve' },
      { key: 'perturbation', type: 'enum', options: ['blur', 'fade'], description: 'How removed pixels are replaced', defaultText: 'blur' },
      { key: 'reward', type: 'enum', options: ['simple', 'contrastive'], description: 'Class score, or score minus the best other class', defaultText: 'simple' },
      { key: 'maxIter', type: 'integer', description: 'Optimisation steps', defaultText: '800' },
      { key: 'numLevels', type: 'integer', description: 'Levels of the blur pyramid', defaultText: '8' },
      { key: 'step', type: 'integer', description: 'Stride of the mask parameter grid in pixels', defaultText: '7' },
      { key: 'sigma', type: 'number', description: 'Smoothing length of the mask in pixels', defaultText: '21' },
      { key: 'jitter', type: 'boolean', description: 'Flip the image on every other step', defaultText: 'true' },
      smooth,
    ],
  },
  {
    name: 'meaningful', label: 'Meaningful perturbation', live: true,
    detail: 'Fong & Vedaldi 2017: the smallest deletion that destroys the class score (§2)',
    params: [
      { key: 'preset', type: 'enum', options: ['deletion', 'localization'], description: 'Deletion game or weak-localisation parameters', defaultText: 'deletion' },
      { key: 'iterations', type: 'integer', description: 'Optimisation steps', defaultText: '300' },
      { key: 'learningRate', type: 'number', description: 'Adam learning rate', defaultText: '0.1' },
      { key: 'l1Coeff', type: 'number', description: 'λ1, weight of the mask size term', defaultText: '1e-4' },
      { key: 'tvCoeff', type: 'number', description: 'λ2, weight of the total-variation term', defaultText: '1e-2' },
      { key: 'perturbation', type: 'enum', options: ['blur', 'constant', 'noise', 'all', 'blur-pyramid'], description: 'Null image a deleted pixel takes', defaultText: 'blur' },
      { key: 'jitter', type: 'integer', description: 'Random crop jitter in pixels (0 = off)', defaultText: '4' },
      seed,
    ],
  },
  { name: 'gradient', label: 'Gradient', live: false, detail: 'Simonyan et al.: |∂score/∂pixel|, max over channels (§3.2)', params: [smooth] },
  { name: 'guided', label: 'Guided backprop', live: false, detail: 'Springenberg et al.: gradients through guided ReLUs (§3.3)', params: [smooth] },
  { name: 'deconvnet', label: 'Deconvnet', live: false, detail: 'Zeiler & Fergus: the deconvnet ReLU rule (§3.4)', params: [smooth] },
  { name: 'gradcam', label: 'Grad-CAM', live: false, detail: 'Selvaraju et al.: gradient-weighted class activation map (§3.5)', params: [layer, smooth] },
  { name: 'linear', label: 'Linear approximation', live: false, detail: 'Activation × gradient at a layer (§3.6)', params: [layer, smooth] },
  {
    name: 'rise', label: 'RISE', live: true, detail: 'Petsiuk et al.: score-weighted average of random masks (§3.8)',
    params: [
      { key: 'numMasks', type: 'integer', description: 'Number of random masks N', defaultText: '8000' },
      { key: 'numCells', type: 'integer', description: 'Mask grid size s (s×s cells)', defaultText: '7' },
      { key: 'p', type: 'number', description: 'Probability that a cell keeps the image', defaultText: '0.5' },
      seed,
    ],
  },
  {
    name: 'occlusion', label: 'Occlusion', live: false, detail: 'Zeiler & Fergus: score drop when a patch is hidden (§3.9)',
    params: [
      { key: 'patchSize', type: 'integer', description: 'Side of the square occluder in pixels', defaultText: '35' },
      { key: 'stride', type: 'integer', description: 'Distance between occluder positions in pixels', defaultText: 'min(H, W)/28' },
      { key: 'fill', type: 'number', description: 'Value of the occluded patch in the model input space', defaultText: '0' },
    ],
  },
];

export function methodInfo(name: string): MethodInfo | undefined {
  return METHODS.find((m) => m.name === name);
}

/** Parses what a user typed for a parameter; returns an error message instead of throwing, for InputBox validation. */
export function parseParam(p: MethodParam, text: string): { value: unknown } | { error: string } {
  const t = text.trim();
  switch (p.type) {
    case 'number': case 'integer': {
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) return { error: `${p.key} is a number` };
      if (p.type === 'integer' && !Number.isInteger(n)) return { error: `${p.key} is a whole number` };
      return { value: n };
    }
    case 'numbers': {
      const xs = t.split(/[,\s]+/).filter(Boolean).map(Number);
      if (!xs.length || xs.some((x) => !Number.isFinite(x))) return { error: `${p.key} is a comma-separated list of numbers` };
      return { value: xs };
    }
    case 'boolean':
      if (t !== 'true' && t !== 'false') return { error: `${p.key} is true or false` };
      return { value: t === 'true' };
    case 'enum':
      if (!p.options?.includes(t)) return { error: `${p.key} is one of ${p.options?.join(', ')}` };
      return { value: t };
    default:
      if (!t) return { error: `${p.key} cannot be empty` };
      return { value: t };
  }
}

export function formatParamValue(v: unknown): string {
  return Array.isArray(v) ? v.join(', ') : String(v);
}
