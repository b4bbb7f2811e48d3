// The contract between the graph executor and the operator implementations, plus attribute readers.
import type * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';
import type { ReluRule } from '../reluRules';
import type { AttrValue, NodeDef } from './decodeModel';
import type { HostTensor } from './tensorProto';
import type { Value } from './layout';

/** An activation fused into the producing convolution (and the pads of a preceding zero Pad). */
export interface Fusion {
  act?: { kind: 'relu' | 'relu6' | 'clip'; min?: number; max?: number };
  /** Extra zero padding [begin…, end…] over the spatial axes, from an absorbed Pad node. */
  pads?: number[];
}

export interface OpCtx {
  node: NodeDef;
  opset: number;
  rule: ReluRule;
  /** Host values of input i (shape vectors, axes, scalars); read once per plan when the input is static. */
  read(i: number): number[];
  /** True when input i is known before the image (a weight, a constant or shape arithmetic). */
  isStatic(i: number): boolean;
  /** Caches a tensor derived only from static inputs (e.g. a transposed weight) for the life of the plan. */
  memo(key: string, make: () => tf.Tensor): tf.Tensor;
  /** Set by the executor when a following activation / preceding Pad was folded into this node. */
  fusion?: Fusion;
}

export interface OpDef {
  /** Reason the node cannot run (unsupported attribute value, rank…), checked before any computation. */
  check?(node: NodeDef, opset: number, ctx: CheckCtx): string | null;
  /** Whether `run` accepts channels-last inputs; otherwise all inputs arrive in ONNX layout. */
  layoutAware?: boolean;
  run(inputs: (Value | undefined)[], ctx: OpCtx): Value[];
}

/** What a load-time check may know about an input: a constant's value, or the declared rank. */
export interface CheckCtx {
  constant(name: string): HostTensor | undefined;
  rank(name: string): number | undefined;
}

const get = (n: NodeDef, k: string) => n.attrs.get(k);
export const attrInt = (n: NodeDef, k: string, d: number): number => { const v = get(n, k); return typeof v === 'number' ? Math.trunc(v) : d; };
export const attrFloat = (n: NodeDef, k: string, d: number): number => { const v = get(n, k); return typeof v === 'number' ? v : d; };
export const attrString = (n: NodeDef, k: string, d: string): string => { const v = get(n, k); return typeof v === 'string' ? v : d; };
export function attrInts(n: NodeDef, k: string): number[] | undefined {
  const v = get(n, k);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (typeof v === 'number') return [v];
  return undefined;
}
export const attrFloats = attrInts;
export const attrTensor = (n: NodeDef, k: string): HostTensor | undefined => {
  const v: AttrValue | undefined = get(n, k);
  return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
};

/** Normalises a possibly negative axis. */
export function normAxis(a: number, rank: number, what = 'axis'): number {
  const r = a < 0 ? a + rank : a;
  if (!(r >= 0 && r < Math.max(rank, 1))) throw new Error(`${what} ${a} is out of range for rank ${rank}`);
  return r;
}

/** An input that must be present. */
export function need(ins: (Value | undefined)[], i: number, node: NodeDef): Value {
  const v = ins[i];
  if (!v) throw new Error(`${node.opType} '${node.name}' needs input ${i}`);
  return v;
}

/** Largest tensor an operator may be asked to create (elements): guards the backend against corrupt shape data. */
const MAX_ELEMENTS = 2 ** 28;
/** Throws MODEL_CORRUPT unless `shape` is a valid, reasonably sized tensor shape. Call before allocating. */
export function checkSize(shape: number[], what: string): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || n > MAX_ELEMENTS)
    throw new EngineError('MODEL_CORRUPT', `${what} would create a tensor of shape [${shape.join(',')}], which is invalid or too large.`);
  return shape;
}
