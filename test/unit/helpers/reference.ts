// Reads the reference tensors in ../shared/reference (raw float32 LE + manifest.json) and compares arrays.
// Kept small and generic so every method's faithfulness tests can share it.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared read-only material, relative to the repo root (tests run from there). */
export const SHARED_DIR = path.resolve('../shared');
export const REFERENCE_DIR = path.join(SHARED_DIR, 'reference');

export interface RefTensor {
  data: Float32Array;
  shape: number[];
  layout: string;
  /** Everything else the manifest says about the file (description, stats, scalar_value …). */
  meta: Record<string, unknown>;
}

const manifests = new Map<string, Record<string, Record<string, unknown>>>();

function manifestOf(dir: string): Record<string, Record<string, unknown>> {
  let m = manifests.get(dir);
  if (!m) {
    const json = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { files?: Record<string, Record<string, unknown>> };
    m = json.files ?? {};
    manifests.set(dir, m);
  }
  return m;
}

/** Reads `<dir>/<file>` (float32 little-endian, C order); shape and layout come from `<dir>/manifest.json`. */
export function readRef(dir: string, file: string): RefTensor {
  const buf = readFileSync(path.join(dir, file));
  // Copy into an aligned buffer and decode explicitly as little-endian (the files' byte order).
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const data = new Float32Array(buf.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
  const entry = manifestOf(dir)[file];
  if (!entry) throw new Error(`${file} is not in ${dir}/manifest.json`);
  const shape = entry.shape as number[];
  if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`${file}: ${data.length} values, manifest shape ${shape}`);
  return { data, shape, layout: String(entry.layout), meta: entry };
}

/** Reads a JSON file (settings.json, results.json, components.json …). */
export function readJson<T = Record<string, unknown>>(dir: string, file: string): T {
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as T;
}

/** [N, C, H, W] → [N, H, W, C] (METHODS §0.2). */
export function nchwToNhwc(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [n, c, h, w] = shape;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x];
  return { data: out, shape: [n, h, w, c] };
}

/** [N, H, W, C] → [N, C, H, W]. */
export function nhwcToNchw(data: Float32Array | Int32Array | Uint8Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [n, h, w, c] = shape;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch];
  return { data: out, shape: [n, c, h, w] };
}

type Numeric = ArrayLike<number>;

function sameLength(a: Numeric, b: Numeric): void {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
}

/** max_i |a_i − b_i| (NaN anywhere gives NaN, so it fails any tolerance check). */
export function maxAbsDiff(a: Numeric, b: Numeric): number {
  sameLength(a, b);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** max_i |a_i − b_i| / max(floor, |b_i|): relative where values are large, absolute below `floor`. */
export function maxRelDiff(a: Numeric, b: Numeric, floor = 1): number {
  sameLength(a, b);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(b[i]));
    if (!(d <= m)) m = d;
  }
  return m;
}

/** Slice of a flat array: element block `index` of `count` equal blocks (e.g. one area of a K×… tensor). */
export function block<T extends { length: number; subarray(a: number, b: number): T }>(a: T, index: number, count: number): T {
  const n = a.length / count;
  return a.subarray(index * n, (index + 1) * n);
}

/** ‖a − b‖₂ / ‖b‖₂: the overall error of a whole tensor, insensitive to a few outlying entries. */
export function relL2(a: Numeric, b: Numeric): number {
  sameLength(a, b);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}
