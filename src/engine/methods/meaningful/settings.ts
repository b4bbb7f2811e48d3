// Settings of meaningful perturbation (METHODS.md §2.8): defaults of the authors' Caffe code, the localisation
// preset, and validation of everything before any tensor work starts.
import { EngineError } from '../../errors';
import type { AttributionInput } from '../attributionMethod';

/** How a deleted pixel is replaced (§2.2). `all` = blur, constant and noise as a batch of 3, losses summed. */
export type NullImageKind = 'blur' | 'constant' | 'noise' | 'all' | 'blur-pyramid';
export const NULL_IMAGE_KINDS: readonly NullImageKind[] = ['blur', 'constant', 'noise', 'all', 'blur-pyramid'];

/** Initial 28×28 mask: MP-caffe's seeded uniform [0,1) (default), MP-jg's ones, or MP-torch's 0.5 (§2.8). */
export type MaskInit = 'random' | 'ones' | 'half';
export const MASK_INITS: readonly MaskInit[] = ['random', 'ones', 'half'];

/** `deletion` = MP-caffe `defaults.py`; `localization` = its `--loc_params` (§2.8). */
export type MeaningfulPreset = 'deletion' | 'localization';

export interface MeaningfulSettings {
  preset: MeaningfulPreset;
  iterations: number;
  learningRate: number;
  /** Adam moments and ε (§0.6: the references use ε = 1e−8, not TF.js' 1e−7 default). */
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  /** λ1 of ‖1 − m‖₁, a sum over the parameter mask (§2.4). */
  l1Coeff: number;
  /** λ2 of TV_β, a sum over the parameter mask (§2.4). */
  tvCoeff: number;
  tvBeta: number;
  /** Parameter mask is ⌈H/maskScale⌉×⌈W/maskScale⌉ (§2.3). */
  maskScale: number;
  /** σ (px) of the Gaussian applied to the upsampled mask; 0 = none (§2.3). */
  maskBlur: number;
  perturbation: NullImageKind;
  /** σ0 (px) of the blur null image, and max blur of `blur-pyramid` (§2.2). */
  blurSigma: number;
  /** Jitter: the image is enlarged by this many pixels and cropped at offsets 0…jitter−1 (§2.6); 0 = off. */
  jitter: number;
  init: MaskInit;
  seed: number;
  /** 0: probability of the target class; k ≥ 1: sum of the clean image's top-k class probabilities (§2.5). */
  topK: number;
  /** Back-propagate around the mask blur, as MP-caffe does (§2.7). */
  straightThroughBlur: boolean;
  /** Send the current saliency map with the progress every this many iterations; 0 = never. */
  mapEvery: number;
}

export const MEANINGFUL_DEFAULTS: Readonly<MeaningfulSettings> = {
  preset: 'deletion',
  iterations: 300,
  learningRate: 0.1,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  l1Coeff: 1e-4,
  tvCoeff: 1e-2,
  tvBeta: 3,
  maskScale: 8,
  maskBlur: 5,
  perturbation: 'blur',
  blurSigma: 10,
  jitter: 4,
  init: 'random',
  seed: 0,
  topK: 0,
  straightThroughBlur: false,
  mapEvery: 10,
};

/** What `preset: 'localization'` changes (§2.8): λ1 = 1e−3, β = 2, top-5 probabilities. */
export const LOCALIZATION_PRESET: Readonly<Partial<MeaningfulSettings>> = { l1Coeff: 1e-3, tvBeta: 2, topK: 5 };

const bad = (msg: string) => new EngineError('BAD_ARGUMENT', `meaningful perturbation: ${msg}`);

/** Accepts numbers and numeric strings (settings may come straight from CLI flags). */
function num(key: string, v: unknown): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${key} must be a finite number, got ${JSON.stringify(v)}`);
  return n;
}

function int(key: string, v: unknown, lo: number, hi: number): number {
  const n = num(key, v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw bad(`${key} must be an integer in ${lo}–${hi}, got ${JSON.stringify(v)}`);
  return n;
}

function range(key: string, v: unknown, lo: number, hi: number, loOpen = false): number {
  const n = num(key, v);
  if (n > hi || n < lo || (loOpen && n === lo)) throw bad(`${key} must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return n;
}

function bool(key: string, v: unknown): boolean {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw bad(`${key} must be true or false, got ${JSON.stringify(v)}`);
}

function oneOf<T extends string>(key: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw bad(`${key} must be one of ${allowed.join(', ')}; got ${JSON.stringify(v)}`);
  return v as T;
}

/**
 * Fills defaults (preset first, then the caller's values) and checks every value against the input and model.
 * Unknown keys are refused, so that a misspelt option never silently falls back to its default.
 */
export function resolveMeaningfulSettings(partial: Partial<MeaningfulSettings> | undefined, input: AttributionInput): MeaningfulSettings {
  if (partial !== undefined && (typeof partial !== 'object' || partial === null || Array.isArray(partial)))
    throw bad(`settings must be an object, got ${JSON.stringify(partial)}`);
  const given: Record<string, unknown> = { ...(partial ?? {}) };
  for (const k of Object.keys(given)) {
    if (given[k] === undefined) delete given[k];
    else if (!(k in MEANINGFUL_DEFAULTS)) throw bad(`unknown setting '${k}' (known: ${Object.keys(MEANINGFUL_DEFAULTS).join(', ')})`);
  }

  const shape = input.input?.shape;
  if (!shape || shape.length !== 4 || shape[0] !== 1)
    throw new EngineError('INPUT_INVALID', `meaningful perturbation needs one image [1, H, W, C], got [${shape?.join(', ')}]`);
  const [, h, w] = shape;
  const numClasses = input.model.info.numClasses;
  if (!Number.isInteger(input.target) || input.target < 0 || input.target >= numClasses)
    throw bad(`target ${input.target} is out of range: this model has classes 0–${numClasses - 1}`);

  const rawPreset = given.preset ?? MEANINGFUL_DEFAULTS.preset;
  // Accept the British spelling the CLI's users may type.
  const preset = oneOf('preset', rawPreset === 'localisation' ? 'localization' : rawPreset, ['deletion', 'localization'] as const);
  const v: Record<string, unknown> = { ...MEANINGFUL_DEFAULTS, ...(preset === 'localization' ? LOCALIZATION_PRESET : {}), ...given };

  return {
    preset,
    iterations: int('iterations', v.iterations, 1, 100_000),
    learningRate: range('learningRate', v.learningRate, 0, 100, true),
    adamBeta1: range('adamBeta1', v.adamBeta1, 0, 0.999999),
    adamBeta2: range('adamBeta2', v.adamBeta2, 0, 0.999999),
    adamEpsilon: range('adamEpsilon', v.adamEpsilon, 0, 1, true),
    l1Coeff: range('l1Coeff', v.l1Coeff, 0, 1e6),
    tvCoeff: range('tvCoeff', v.tvCoeff, 0, 1e6),
    // β < 1 makes TV concave in the differences and its gradient blow up at 0; the references use 2 and 3.
    tvBeta: range('tvBeta', v.tvBeta, 1, 10),
    maskScale: int('maskScale', v.maskScale, 1, Math.min(h, w)),
    maskBlur: range('maskBlur', v.maskBlur, 0, Math.max(h, w)),
    perturbation: oneOf('perturbation', v.perturbation, NULL_IMAGE_KINDS),
    blurSigma: range('blurSigma', v.blurSigma, 0, Math.max(h, w), true),
    jitter: int('jitter', v.jitter, 0, Math.min(h, w) - 1),
    init: oneOf('init', v.init, MASK_INITS),
    seed: int('seed', v.seed, 0, 2 ** 32 - 1),
    topK: int('topK', v.topK, 0, numClasses),
    straightThroughBlur: bool('straightThroughBlur', v.straightThroughBlur),
    mapEvery: int('mapEvery', v.mapEvery, 0, 100_000),
  };
}
