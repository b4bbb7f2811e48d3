// How ONNX values are held while a graph runs. ONNX images are NCHW, but the TF.js kernels (and the wasm backend
// in particular) are NHWC only. Instead of transposing around every operator, an image-like value may be stored
// channels-last: its logical ONNX shape is [N, C, D1…Dk] but the tensor is [N, D1…Dk, C]. Convolutions, pooling,
// normalisation and elementwise ops work on that form directly, so the layout is converted once at the model
// input (where the engine already hands over NHWC) and only where a layout-sensitive op (Reshape, Transpose…) needs it.
import * as tf from '@tensorflow/tfjs-core';

export interface Value {
  t: tf.Tensor;
  /** True when `t` holds the logical tensor channels-last (rank ≥ 3 only). */
  cl: boolean;
}

export const plain = (t: tf.Tensor): Value => ({ t, cl: false });
export const channelsLast = (t: tf.Tensor): Value => ({ t, cl: true });

/** Physical axis i holds logical axis clPerm(r)[i]: [0, 2, 3, …, r−1, 1]. */
export const clPerm = (r: number): number[] => [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
/** Logical axis i is physical axis clInv(r)[i]: [0, r−1, 1, …, r−2]. */
export const clInv = (r: number): number[] => [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
/** The physical axis of logical axis `a` (non-negative) for a channels-last value of rank r. */
export const physicalAxis = (a: number, r: number): number => (a === 0 ? 0 : a === 1 ? r - 1 : a - 1);

/** The ONNX (logical) shape of a value. */
export function logicalShape(v: Value): number[] {
  if (!v.cl) return v.t.shape;
  return clInv(v.t.rank).map((p) => v.t.shape[p]);
}

/** True when permuting by `perm` only moves size-1 axes, so a reshape gives the same element order. */
function permIsReshape(shape: number[], perm: number[]): boolean {
  const order = perm.filter((p) => shape[p] !== 1);
  return order.every((p, i) => i === 0 || p > order[i - 1]);
}

function permute(t: tf.Tensor, perm: number[]): tf.Tensor {
  if (perm.every((p, i) => p === i)) return t;
  if (permIsReshape(t.shape, perm)) return tf.reshape(t, perm.map((p) => t.shape[p]));
  return tf.transpose(t, perm);
}

/** The value in ONNX's own layout. */
export function toPlain(v: Value): tf.Tensor {
  return v.cl ? permute(v.t, clInv(v.t.rank)) : v.t;
}

/** The value channels-last (rank ≥ 3). */
export function toChannelsLast(v: Value): tf.Tensor {
  return v.cl ? v.t : permute(v.t, clPerm(v.t.rank));
}

/**
 * Puts operands of a broadcasting elementwise op in one layout: channels-last when some operand already is and has
 * the output's rank (lower-rank operands are first broadcast-aligned as ONNX does, by prepending 1s), else plain.
 */
export function alignForBroadcast(vs: Value[]): { ts: tf.Tensor[]; cl: boolean } {
  const rank = Math.max(...vs.map((v) => v.t.rank));
  const cl = vs.some((v) => v.cl && v.t.rank === rank);
  if (!cl) return { ts: vs.map(toPlain), cl: false };
  return {
    cl: true,
    ts: vs.map((v) => {
      if (v.cl) return v.t;
      const t = v.t.rank < rank ? tf.reshape(v.t, [...Array(rank - v.t.rank).fill(1), ...v.t.shape]) : v.t;
      return permute(t, clPerm(rank));
    }),
  };
}
