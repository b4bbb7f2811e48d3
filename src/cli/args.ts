// Parsing of the CLI's shared flags into engine requests; every invalid value is reported before any work starts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Preprocessing } from '../engine/model/modelTypes';
import type { BackendChoice, ImageSource, ModelSpec } from '../engine/worker/protocol';

export class UsageError extends Error {}

export type Flags = Record<string, string | boolean | undefined>;

export function numbers(flag: string, v: string, n: number): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length !== n || xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${flag} takes ${n} comma-separated numbers (got '${v}')`);
  return xs;
}

/** A comma-separated list of finite numbers (any length ≥ 1). */
export function numbersList(flag: string, v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${flag} takes comma-separated numbers (got '${v}')`);
  return xs;
}

/** The bundled demo model, next to the built CLI (dist/ → ../media). */
export const DEMO_MODEL = path.resolve(__dirname, '..', 'media', 'demo-model', 'model.json');

export function modelSpec(f: Flags): ModelSpec {
  const p = (f.model as string | undefined) ?? DEMO_MODEL;
  const pre: Partial<Preprocessing> = {};
  if (f['input-range'] && (f.mean || f.std)) throw new UsageError('use either --input-range or --mean/--std, not both');
  if (f['input-range']) pre.inputRange = numbers('input-range', f['input-range'] as string, 2) as [number, number];
  if (f.mean || f.std) {
    if (!f.mean || !f.std) throw new UsageError('--mean and --std go together');
    pre.mean = numbers('mean', f.mean as string, 3) as [number, number, number];
    pre.std = numbers('std', f.std as string, 3) as [number, number, number];
  }
  if (f.channels) {
    if (f.channels !== 'rgb' && f.channels !== 'bgr') throw new UsageError(`--channels is rgb or bgr (got '${f.channels}')`);
    pre.channels = f.channels;
  }
  return {
    path: path.resolve(p),
    labels: f.labels ? path.resolve(f.labels as string) : undefined,
    outputLayer: f['output-layer'] as string | undefined,
    preprocessing: Object.keys(pre).length ? pre : undefined,
  };
}

export function imageSource(f: Flags): ImageSource {
  if (f.image && f['input-raw']) throw new UsageError('use either --image or --input-raw, not both');
  if (f['input-raw']) {
    const layout = f['input-layout'];
    if (layout !== 'nchw' && layout !== 'nhwc') throw new UsageError('--input-raw needs --input-layout nchw|nhwc');
    return { kind: 'raw', path: path.resolve(f['input-raw'] as string), layout };
  }
  if (!f.image) throw new UsageError('give --image PATH or --input-raw FILE.f32 --input-layout nchw|nhwc');
  if (!fs.existsSync(f.image as string)) throw new UsageError(`image not found: ${f.image}`);
  return { kind: 'file', path: path.resolve(f.image as string) };
}

export function backendChoice(f: Flags): BackendChoice {
  const b = (f.backend as string | undefined) ?? 'auto';
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(b)) throw new UsageError(`--backend is tensorflow, wasm or cpu (got '${b}')`);
  return b as BackendChoice;
}

export function positiveInt(flag: string, v: string | boolean | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer (got '${v}')`);
  return n;
}
