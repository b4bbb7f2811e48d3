// Reductions (ReduceMean/Max/Sum/Min/Prod/SumSquare/L1/L2) over ONNX axes, on whichever layout the input has.
import * as tf from '@tensorflow/tfjs-core';
import { clPerm, physicalAxis, type Value } from './layout';
import { attrInt, attrInts, need, normAxis, type OpCtx, type OpDef } from './opTypes';

/** Opset from which the axes come as the second input instead of an attribute. */
const AXES_INPUT_FROM: Record<string, number> = { ReduceSum: 13 };

const reduce = (f: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): OpDef => ({
  layoutAware: true,
  run: (ins: (Value | undefined)[], ctx: OpCtx) => {
    const v = need(ins, 0, ctx.node);
    const r = v.t.rank;
    const fromInput = ctx.opset >= (AXES_INPUT_FROM[ctx.node.opType] ?? 18);
    const given = fromInput ? (ins[1] ? ctx.read(1) : []) : attrInts(ctx.node, 'axes') ?? [];
    const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
    if (!given.length && fromInput && attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return [v];
    const logical = given.length ? [...new Set(given.map((a) => normAxis(a, r)))] : Array.from({ length: r }, (_, i) => i);
    if (!v.cl) return [{ t: f(v.t, logical, keep), cl: false }];
    const y = f(v.t, logical.map((a) => physicalAxis(a, r)), keep);
    if (keep) return [{ t: y, cl: true }];
    // Remaining logical axes, in the physical order they now have; put them back in ONNX order.
    const rest = clPerm(r).filter((a) => !logical.includes(a));
    const sorted = [...rest].sort((a, b) => a - b);
    const perm = sorted.map((a) => rest.indexOf(a));
    return [{ t: perm.every((p, i) => p === i) ? y : tf.transpose(y, perm), cl: false }];
  },
});

export const reduceOps: Record<string, OpDef> = {
  ReduceMean: reduce((x, a, k) => tf.mean(x, a, k)),
  ReduceMax: reduce((x, a, k) => tf.max(x, a, k)),
  ReduceMin: reduce((x, a, k) => tf.min(x, a, k)),
  ReduceSum: reduce((x, a, k) => tf.sum(x, a, k)),
  ReduceProd: reduce((x, a, k) => tf.prod(x, a, k)),
  ReduceSumSquare: reduce((x, a, k) => tf.sum(tf.square(x), a, k)),
  ReduceL1: reduce((x, a, k) => tf.sum(tf.abs(x), a, k)),
  ReduceL2: reduce((x, a, k) => tf.sqrt(tf.sum(tf.square(x), a, k))),
  ReduceLogSum: reduce((x, a, k) => tf.log(tf.sum(x, a, k))),
  ReduceLogSumExp: reduce((x, a, k) => tf.logSumExp(x, a, k)),
};
