// Turns a user's (possibly partial, possibly hand-written JSON) preprocessing description into a complete, valid one.
import { EngineError } from '../errors';
import type { Preprocessing } from '../model/modelTypes';

/** Used when the model does not fix its spatial size (dynamic H/W) and the user gave none: the ImageNet convention. */
export const DEFAULT_INPUT_SIZE = 224;
/** A model input larger than this is a mistake, not a CNN (and would be upsampled from the 2048 px working image). */
const MAX_INPUT_SIZE = 4096;

/**
 * Fills defaults — size from the model, channels 'rgb', inputRange [0, 1] unless mean/std are given — and checks
 * every field, throwing EngineError('BAD_ARGUMENT') with what is wrong.
 * @param modelInputShape the model's [H, W, C]; a dimension that is not a positive integer counts as dynamic.
 */
export function resolvePreprocessing(partial: Partial<Preprocessing> | undefined, modelInputShape: readonly number[]): Preprocessing {
  const p: Partial<Preprocessing> = partial ?? {};
  if (typeof p !== 'object' || Array.isArray(p)) throw bad(`preprocessing must be an object, got ${JSON.stringify(p)}`);
  if (!Array.isArray(modelInputShape) || modelInputShape.length !== 3)
    throw bad(`the model input shape must be [H, W, C], got ${JSON.stringify(modelInputShape)}`);
  const [mh, mw, mc] = modelInputShape;
  if (isSize(mc) && mc !== 3)
    throw bad(`the model expects ${mc} input channels; image preprocessing produces 3 (RGB or BGR)`);

  const height = resolveSize('height', p.height, mh);
  const width = resolveSize('width', p.width, mw);
  const channels = p.channels ?? 'rgb';
  if (channels !== 'rgb' && channels !== 'bgr') throw bad(`channels must be 'rgb' or 'bgr', got ${JSON.stringify(channels)}`);

  const hasStats = p.mean !== undefined || p.std !== undefined;
  if (hasStats && p.inputRange !== undefined)
    throw bad('give either inputRange or mean/std, not both (they are two different ways of scaling the pixels)');
  if (!hasStats) return { height, width, channels, inputRange: checkRange(p.inputRange ?? [0, 1]) };

  const mean = checkTriple('mean', p.mean ?? [0, 0, 0]);
  const std = checkTriple('std', p.std ?? [1, 1, 1]);
  if (std.some((s) => s <= 0)) throw bad(`std must be positive in every channel, got [${std.join(', ')}]`);
  return { height, width, channels, mean, std };
}

function resolveSize(name: string, given: unknown, fromModel: number | undefined): number {
  if (given === undefined) return isSize(fromModel) ? fromModel : DEFAULT_INPUT_SIZE;
  if (!isSize(given) || given > MAX_INPUT_SIZE) throw bad(`${name} must be an integer in 1–${MAX_INPUT_SIZE}, got ${JSON.stringify(given)}`);
  if (isSize(fromModel) && given !== fromModel) throw bad(`${name} is ${given} but the model's input ${name} is ${fromModel}`);
  return given;
}

function checkRange(r: unknown): [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite))
    throw bad(`inputRange must be two finite numbers [lo, hi], got ${JSON.stringify(r)}`);
  if (r[0] >= r[1]) throw bad(`inputRange must have lo < hi, got [${r[0]}, ${r[1]}]`);
  return [r[0], r[1]];
}

function checkTriple(name: string, v: unknown): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3 || !v.every(Number.isFinite))
    throw bad(`${name} must be three finite numbers (one per channel, in the model's channel order), got ${JSON.stringify(v)}`);
  return [v[0], v[1], v[2]];
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const bad = (msg: string) => new EngineError('BAD_ARGUMENT', `Invalid preprocessing: ${msg}.`);
