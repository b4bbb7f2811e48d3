// Options of extremal perturbation, their TorchRay defaults (METHODS.md §1.2) and validation: every bad value is
// reported with a clear BAD_ARGUMENT error before any work starts.
import { EngineError } from '../../errors';
import type { AttributionInput } from '../attributionMethod';
import { maskGeometry } from './maskGenerator';
import type { PerturbationKind } from './perturbationPyramid';
import type { ExtremalVariant, RewardKind } from './rewards';

export interface ExtremalSettings {
  /** Target area fractions, one mask each, optimised together (TorchRay `areas`). */
  areas: number[];
  perturbation: PerturbationKind;
  variant: ExtremalVariant;
  /** `simple_reward` or `contrastive_reward`. */
  reward: RewardKind;
  maxIter: number;
  /** Pyramid levels L. */
  numLevels: number;
  /** Parameter grid stride in pixels. */
  step: number;
  /** Mask smoothing length in pixels. */
  sigma: number;
  /** Flip the perturbed batch left↔right on even iterations (deterministic; EP draws no random numbers). */
  jitter: boolean;
  /** false: masks at the input size; true: the input size too (TorchRay semantics); [width, height]: that size. */
  resize: boolean | [number, number];
  resizeMode: 'bilinear' | 'nearest';
  /** Gaussian smoothing of the returned masks, σ as a fraction of the shorter side (0 = none). */
  smooth: number;
  /** Stream the current masks every N iterations (0 = never). */
  progressMapsEvery: number;
  /** Most images per forward pass; areas are split into chunks that fit (results are identical). */
  maxBatch: number;
}

export const EXTREMAL_DEFAULTS: Readonly<ExtremalSettings> = Object.freeze({
  areas: [0.1],
  perturbation: 'blur',
  variant: 'preserve',
  reward: 'simple',
  maxIter: 800,
  numLevels: 8,
  step: 7,
  sigma: 21,
  jitter: true,
  resize: false,
  resizeMode: 'bilinear',
  smooth: 0,
  progressMapsEvery: 50,
  maxBatch: 8,
} as ExtremalSettings);

/** Hard-coded inside TorchRay's extremal_perturbation (§1.2); reported with every result. */
export const EXTREMAL_FIXED = Object.freeze({
  maxBlur: 20, learningRate: 0.01, momentum: 0.9, dampening: 0.9, areaWeight: 300, areaWeightGrowth: 1.0035,
  coldness: 20, parameterInit: 1,
});

const MAX_ITERATIONS = 100_000;
const MAX_LEVELS = 256;

function bad(message: string): never {
  throw new EngineError('BAD_ARGUMENT', message);
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) bad(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function finite(name: string, value: unknown, check: (v: number) => boolean, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) bad(`${name} must be ${what}, got ${JSON.stringify(value)}`);
  return value;
}

/** Fills in defaults and validates against the input and model; throws EngineError before any work. */
export function resolveExtremalSettings(partial: Partial<ExtremalSettings>, input: AttributionInput): ExtremalSettings {
  const known = new Set(Object.keys(EXTREMAL_DEFAULTS));
  for (const key of Object.keys(partial)) if (!known.has(key)) bad(`unknown extremal perturbation option '${key}' (known: ${[...known].join(', ')})`);
  const s = { ...EXTREMAL_DEFAULTS, ...partial } as ExtremalSettings;

  const shape = input.input.shape;
  if (shape.length !== 4 || shape[0] !== 1) {
    throw new EngineError('INPUT_INVALID', `extremal perturbation needs one image [1, H, W, C], got [${shape.join(', ')}]`);
  }
  const [h, w, c] = input.model.info.inputShape;
  if (shape[1] !== h || shape[2] !== w || shape[3] !== c) {
    throw new EngineError('INPUT_INVALID', `the input is [${shape.slice(1).join('×')}] but the model expects [${h}×${w}×${c}]`);
  }
  const numClasses = input.model.info.numClasses;
  integer('target', input.target, 0, numClasses - 1);

  // TorchRay accepts a bare float for a single area.
  const areas = typeof (s.areas as unknown) === 'number' ? [s.areas as unknown as number] : s.areas;
  if (!Array.isArray(areas) || areas.length === 0) bad(`areas must be a non-empty list of fractions in (0, 1), got ${JSON.stringify(s.areas)}`);
  for (const a of areas) finite('each area', a, (v) => v > 0 && v < 1, 'a fraction strictly between 0 and 1');
  if (new Set(areas).size !== areas.length) bad(`areas must be distinct, got ${JSON.stringify(areas)}`);

  const settings: ExtremalSettings = {
    areas: [...areas],
    perturbation: oneOf('perturbation', s.perturbation, ['blur', 'fade'] as const),
    variant: oneOf('variant', s.variant, ['preserve', 'delete', 'dual'] as const),
    reward: oneOf('reward', s.reward, ['simple', 'contrastive'] as const),
    maxIter: integer('maxIter', s.maxIter, 1, MAX_ITERATIONS),
    numLevels: integer('numLevels', s.numLevels, 2, MAX_LEVELS),
    step: integer('step', s.step, 1, Math.min(shape[1], shape[2])),
    sigma: finite('sigma', s.sigma, (v) => v > 0 && v <= Math.max(shape[1], shape[2]), 'a positive length in pixels, at most the image size'),
    jitter: typeof s.jitter === 'boolean' ? s.jitter : bad(`jitter must be true or false, got ${JSON.stringify(s.jitter)}`),
    resize: resolveResize(s.resize),
    resizeMode: oneOf('resizeMode', s.resizeMode, ['bilinear', 'nearest'] as const),
    smooth: finite('smooth', s.smooth, (v) => v >= 0 && v <= 1, 'a fraction of the shorter side from 0 to 1'),
    progressMapsEvery: integer('progressMapsEvery', s.progressMapsEvery, 0, MAX_ITERATIONS),
    maxBatch: integer('maxBatch', s.maxBatch, s.variant === 'dual' ? 2 : 1, 1024),
  };
  if (settings.reward === 'contrastive' && numClasses < 2) bad('the contrastive reward needs at least 2 classes');
  const g = maskGeometry(shape[1], shape[2], settings.step, settings.sigma);
  if (g.cropOffset + shape[1] > g.shapeOut[0] || g.cropOffset + shape[2] > g.shapeOut[1]) {
    bad(`step ${settings.step} and sigma ${settings.sigma} give a mask smaller than the ${shape[1]}×${shape[2]} image`);
  }
  return settings;
}

function resolveResize(r: unknown): boolean | [number, number] {
  if (typeof r === 'boolean') return r;
  if (Array.isArray(r) && r.length === 2 && r.every((v) => Number.isInteger(v) && v >= 1 && v <= 16384)) return [r[0], r[1]];
  return bad(`resize must be true, false or [width, height] in pixels, got ${JSON.stringify(r)}`);
}

/** Whether iteration t mirrors the batch (§1.7) and keeps its masks (for progress maps and the result, §1.10). */
export function iterationFlags(s: ExtremalSettings, t: number): { flipped: boolean; capture: boolean } {
  return {
    flipped: s.jitter && t % 2 === 0,
    capture: t === s.maxIter - 1 || (s.progressMapsEvery > 0 && t % s.progressMapsEvery === 0),
  };
}
