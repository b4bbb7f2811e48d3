// ONNX TensorProto → host arrays in the dtypes TensorFlow.js has (float32, int32, bool), including tensors whose
// bytes live in a side file (external data). Every size is checked against the data, so a corrupt file gives a
// MODEL_CORRUPT error instead of a huge allocation or a silent misread.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../../errors';

export type HostDType = 'float32' | 'int32' | 'bool';

/** A tensor held in JS memory: an initializer, a Constant or a test input, before it becomes a tf.Tensor. */
export interface HostTensor {
  dims: number[];
  dtype: HostDType;
  data: Float32Array | Int32Array | Uint8Array;
  /** The ONNX element type it was stored as (TensorProto.DataType). */
  onnxType: number;
}

/** TensorProto.DataType codes. */
export const DT = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11,
  UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
  // Newer than the bundled schema (IR 9–11, opsets 19–23): named in errors, never computed.
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23,
} as const;

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k.toLowerCase()]));
export const onnxTypeName = (t: number): string => TYPE_NAMES[t] ?? `type ${t}`;

/** Element types the engine computes with (64-bit and small ints become int32, double/half become float32). */
export function hostDType(onnxType: number): HostDType | null {
  switch (onnxType) {
    case DT.FLOAT: case DT.DOUBLE: case DT.FLOAT16: case DT.BFLOAT16: return 'float32';
    case DT.INT32: case DT.INT64: case DT.INT8: case DT.INT16: case DT.UINT8: case DT.UINT16: case DT.UINT32: case DT.UINT64: return 'int32';
    case DT.BOOL: return 'bool';
    default: return null;
  }
}

const BYTES: Record<number, number> = {
  [DT.FLOAT]: 4, [DT.UINT8]: 1, [DT.INT8]: 1, [DT.UINT16]: 2, [DT.INT16]: 2, [DT.INT32]: 4, [DT.INT64]: 8, [DT.BOOL]: 1,
  [DT.FLOAT16]: 2, [DT.DOUBLE]: 8, [DT.UINT32]: 4, [DT.UINT64]: 8, [DT.BFLOAT16]: 2,
};

/** Largest tensor accepted from a file (elements); far above any CNN weight, far below what would exhaust memory. */
const MAX_ELEMENTS = 2 ** 28;

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1, e = (bits >> 10) & 0x1f, f = bits & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const bfBits = new Uint32Array(1), bfFloat = new Float32Array(bfBits.buffer);
/** bfloat16 is the top half of a float32. */
function bf16(bits: number): number { bfBits[0] = (bits & 0xffff) << 16; return bfFloat[0]; }

const I32_MAX = 2147483647, I32_MIN = -2147483648;
/** int64 values saturate to int32: they are sizes, indices and INT64_MAX-style "to the end" markers in CNNs. */
const sat = (v: number) => (v > I32_MAX ? I32_MAX : v < I32_MIN ? I32_MIN : v);

/** Decodes little-endian bytes of an ONNX element type into the host array. */
function fromBytes(bytes: Uint8Array, onnxType: number, n: number): HostTensor['data'] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (onnxType) {
    case DT.FLOAT: { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getFloat32(4 * i, true); return o; }
    case DT.DOUBLE: { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getFloat64(8 * i, true); return o; }
    case DT.FLOAT16: { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = half(dv.getUint16(2 * i, true)); return o; }
    case DT.BFLOAT16: { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = bf16(dv.getUint16(2 * i, true)); return o; }
    case DT.INT32: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt32(4 * i, true); return o; }
    case DT.UINT32: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = sat(dv.getUint32(4 * i, true)); return o; }
    case DT.INT64: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = sat(Number(dv.getBigInt64(8 * i, true))); return o; }
    case DT.UINT64: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = sat(Number(dv.getBigUint64(8 * i, true))); return o; }
    case DT.INT16: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt16(2 * i, true); return o; }
    case DT.UINT16: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getUint16(2 * i, true); return o; }
    case DT.INT8: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt8(i); return o; }
    case DT.UINT8: { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getUint8(i); return o; }
    case DT.BOOL: { const o = new Uint8Array(n); for (let i = 0; i < n; i++) o[i] = bytes[i] ? 1 : 0; return o; }
    default: throw new Error(`element type ${onnxTypeName(onnxType)} is not supported`);
  }
}

/** Decodes the typed repeated fields (float_data, int32_data, int64_data, double_data, uint64_data). */
function fromFields(t: any, onnxType: number, n: number): HostTensor['data'] | null {
  const pick = (): ArrayLike<number> | null => {
    switch (onnxType) {
      case DT.FLOAT: return t.float_data;
      case DT.DOUBLE: return t.double_data;
      case DT.INT64: return t.int64_data;
      case DT.UINT32: case DT.UINT64: return t.uint64_data;
      default: return t.int32_data; // int32, int16, int8, uint16, uint8, bool, float16/bfloat16 bits
    }
  };
  const src = pick();
  if (!src || src.length === 0) return n === 0 ? new Float32Array(0) : null;
  if (src.length !== n) throw new Error(`holds ${src.length} values for ${n} elements`);
  const dt = hostDType(onnxType)!;
  if (dt === 'bool') return Uint8Array.from(src, (v) => (Number(v) ? 1 : 0));
  if (dt === 'int32') return Int32Array.from(src, (v) => sat(Number(v)));
  if (onnxType === DT.FLOAT16) return Float32Array.from(src, (v) => half(Number(v)));
  if (onnxType === DT.BFLOAT16) return Float32Array.from(src, (v) => bf16(Number(v)));
  return Float32Array.from(src, Number);
}

/** Reads external-data byte ranges, one open file per location, confined to the model's folder. */
export class ExternalData {
  private readonly files = new Map<string, { fd: number; size: number }>();
  constructor(private readonly dir: string | null) {}

  read(entries: { key: string; value: string }[], tensorName: string): Uint8Array {
    const kv = new Map(entries.map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location) throw new Error(`external data of '${tensorName}' has no location`);
    if (!this.dir) throw new Error(`'${tensorName}' is stored in an external file but the model was not loaded from a folder`);
    const file = path.resolve(this.dir, location);
    if (path.isAbsolute(location) || path.relative(this.dir, file).startsWith('..'))
      throw new Error(`external data location '${location}' of '${tensorName}' points outside the model's folder`);
    let f = this.files.get(file);
    if (!f) {
      if (!fs.existsSync(file))
        throw new EngineError('MODEL_SHARD_MISSING', `External data file missing: ${file} (tensor '${tensorName}'; copy it next to the .onnx file).`);
      const fd = fs.openSync(file, 'r');
      f = { fd, size: fs.fstatSync(fd).size };
      this.files.set(file, f);
    }
    const offset = Number(kv.get('offset') ?? 0);
    const length = kv.has('length') ? Number(kv.get('length')) : f.size - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
      throw new Error(`external data of '${tensorName}' has an invalid offset/length`);
    if (offset + length > f.size)
      throw new EngineError('MODEL_SHARD_TRUNCATED',
        `External data file ${location} is truncated: '${tensorName}' needs bytes ${offset}–${offset + length}, the file has ${f.size}.`);
    const buf = Buffer.alloc(length);
    fs.readSync(f.fd, buf, 0, length, offset);
    return buf;
  }

  close(): void {
    for (const f of this.files.values()) fs.closeSync(f.fd);
    this.files.clear();
  }
}

/** Converts a decoded TensorProto. Throws MODEL_CORRUPT (or MODEL_UNSUPPORTED for exotic element types). */
export function decodeTensor(t: any, ext: ExternalData | null, where: string): HostTensor {
  const name = t.name || '(unnamed)';
  const onnxType = Number(t.data_type);
  const dims = (t.dims ?? []).map(Number) as number[];
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new EngineError('MODEL_CORRUPT', `${where}: tensor '${name}' has invalid dimensions [${dims.join(',')}].`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (n > MAX_ELEMENTS) throw new EngineError('MODEL_CORRUPT', `${where}: tensor '${name}' declares ${n} elements ([${dims.join(',')}]), more than any CNN weight.`);
  const dtype = hostDType(onnxType);
  if (!dtype) {
    const known = TYPE_NAMES[onnxType] !== undefined;
    throw new EngineError(known ? 'MODEL_UNSUPPORTED' : 'MODEL_CORRUPT', `${where}: tensor '${name}' has element type ${onnxTypeName(onnxType)}, which CNN Lens cannot compute with.`);
  }
  try {
    let data: HostTensor['data'] | null;
    if (Number(t.data_location) === 1) {
      if (!ext) throw new Error('external data is not allowed here');
      const bytes = ext.read(t.external_data ?? [], name);
      if (bytes.length !== n * BYTES[onnxType]) throw new Error(`external data holds ${bytes.length} bytes for ${n} elements of ${onnxTypeName(onnxType)}`);
      data = fromBytes(bytes, onnxType, n);
    } else if (t.raw_data && t.raw_data.length) {
      if (t.raw_data.length !== n * BYTES[onnxType]) throw new Error(`raw_data holds ${t.raw_data.length} bytes for ${n} elements of ${onnxTypeName(onnxType)}`);
      data = fromBytes(t.raw_data, onnxType, n);
    } else {
      data = fromFields(t, onnxType, n);
      if (!data) throw new Error(`holds no data for ${n} elements`);
    }
    if (data instanceof Float32Array && dtype !== 'float32') data = dtype === 'bool' ? new Uint8Array(0) : new Int32Array(0);
    return { dims, dtype, data, onnxType };
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('MODEL_CORRUPT', `${where}: tensor '${name}' is corrupt: ${(e as Error).message}.`);
  }
}
