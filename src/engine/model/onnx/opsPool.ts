// MaxPool, AveragePool (pads, auto_pad, ceil_mode, count_include_pad, dilations) and global pooling, channels-last.
// Padding is explicit and the average divides by a per-position count, so forward values and gradients both
// follow ONNX at the borders (TF.js's own padded average pooling and its gradient disagree there).
import * as tf from '@tensorflow/tfjs-core';
import { toChannelsLast, type Value } from './layout';
import { checkSpatial, resolvePads } from './opsConv';
import { attrInt, attrInts, checkSize, need, type OpCtx, type OpDef } from './opTypes';

/** count elements of a step-`s` sequence of `n` values starting at `start` along `axis` (slices only: differentiable). */
function strided(x: tf.Tensor, axis: number, start: number, n: number, s: number): tf.Tensor {
  const len = n * s;
  const avail = x.shape[axis] - start;
  let t = tf.slice(x, x.shape.map((_, i) => (i === axis ? start : 0)), x.shape.map((d, i) => (i === axis ? Math.min(len, avail) : d)));
  if (avail < len) t = tf.pad(t, t.shape.map((_, i) => (i === axis ? [0, len - avail] : [0, 0])) as [number, number][]);
  if (s === 1) return t;
  const sh = t.shape;
  const r = tf.reshape(t, [...sh.slice(0, axis), n, s, ...sh.slice(axis + 1)]);
  const one = tf.slice(r, r.shape.map(() => 0), r.shape.map((d, i) => (i === axis + 1 ? 1 : d)));
  return tf.reshape(one, [...sh.slice(0, axis), n, ...sh.slice(axis + 1)]);
}

interface PoolGeom { k: number[]; s: number[]; d: number[]; begin: number[]; end: number[]; out: number[]; inS: number[] }

function poolGeometry(ctx: OpCtx, x: tf.Tensor4D, oneD: boolean): PoolGeom {
  const n = ctx.node;
  const kk = attrInts(n, 'kernel_shape');
  if (!kk) throw new Error(`${n.opType} '${n.name}' has no kernel_shape`);
  const lift = (a: number[] | undefined, d: number) => (oneD ? [1, a?.[0] ?? d] : [a?.[0] ?? d, a?.[1] ?? d]);
  const k = lift(kk, 1), s = lift(attrInts(n, 'strides'), 1), d = lift(attrInts(n, 'dilations'), 1);
  const inS = [x.shape[1], x.shape[2]];
  const kEff = k.map((v, i) => (v - 1) * d[i] + 1);
  let p = resolvePads(n, oneD ? [inS[1]] : inS, oneD ? [kEff[1]] : kEff, oneD ? [s[1]] : s);
  if (oneD) p = [0, p[0], 0, p[1]];
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  const begin = [p[0], p[1]], end = [p[2], p[3]];
  const out = [0, 1].map((i) => {
    const span = inS[i] + begin[i] + end[i] - kEff[i];
    let o = (ceil ? Math.ceil(span / s[i]) : Math.floor(span / s[i])) + 1;
    // A window may not start in the end padding (as in PyTorch and the ONNX reference).
    if (ceil && (o - 1) * s[i] >= inS[i] + begin[i]) o--;
    return Math.max(o, 0);
  });
  if ([...k, ...s, ...d].some((v) => v < 1) || [...begin, ...end].some((v) => v < 0))
    throw new Error(`${n.opType} '${n.name}': invalid kernel/strides/dilations/pads`);
  checkSize([x.shape[0], ...inS.map((v, i) => v + begin[i] + end[i] + kEff[i]), x.shape[3]], `${n.opType} '${n.name}'`);
  return { k, s, d, begin, end, out, inS };
}

/** Pads x so that every window lies inside, then reduces each window with `kind`. */
function windows(x: tf.Tensor4D, g: PoolGeom, kind: 'max' | 'sum'): tf.Tensor4D {
  const need = [0, 1].map((i) => (g.out[i] - 1) * g.s[i] + (g.k[i] - 1) * g.d[i] + 1);
  const extra = [0, 1].map((i) => Math.max(0, need[i] - (g.inS[i] + g.begin[i] + g.end[i])));
  const pads: [number, number][] = [[0, 0], [g.begin[0], g.end[0] + extra[0]], [g.begin[1], g.end[1] + extra[1]], [0, 0]];
  const padded = pads.some(([a, b]) => a || b) ? tf.pad(x, pads, kind === 'max' ? -Infinity : 0) : x;
  const crop = (padded.shape[1] === need[0] && padded.shape[2] === need[1] ? padded
    : tf.slice(padded, [0, 0, 0, 0], [-1, need[0], need[1], -1])) as tf.Tensor4D;
  if (g.d[0] === 1 && g.d[1] === 1) {
    if (kind === 'max') return tf.maxPool(crop, [g.k[0], g.k[1]], [g.s[0], g.s[1]], 'valid');
    return tf.mul(tf.avgPool(crop, [g.k[0], g.k[1]], [g.s[0], g.s[1]], 'valid'), g.k[0] * g.k[1]);
  }
  // Dilated windows: one strided view per kernel tap.
  let acc: tf.Tensor | null = null;
  for (let i = 0; i < g.k[0]; i++) for (let j = 0; j < g.k[1]; j++) {
    const v = strided(strided(crop, 1, i * g.d[0], g.out[0], g.s[0]), 2, j * g.d[1], g.out[1], g.s[1]);
    acc = acc ? (kind === 'max' ? tf.maximum(acc, v) : tf.add(acc, v)) : v;
  }
  return acc as tf.Tensor4D;
}

/** How many window elements fall inside [lo, hi) along one axis, per output position. */
function counts(g: PoolGeom, i: number, lo: number, hi: number): number[] {
  return Array.from({ length: g.out[i] }, (_, o) => {
    let c = 0;
    for (let j = 0; j < g.k[i]; j++) { const p = o * g.s[i] - g.begin[i] + j * g.d[i]; if (p >= lo && p < hi) c++; }
    return c;
  });
}

const lift1D = (v: Value): { x: tf.Tensor4D; oneD: boolean } => {
  const t = toChannelsLast(v);
  return t.rank === 3 ? { x: tf.expandDims(t, 1) as tf.Tensor4D, oneD: true } : { x: t as tf.Tensor4D, oneD: false };
};
const unlift = (y: tf.Tensor, oneD: boolean): Value => ({ t: oneD ? tf.squeeze(y, [1]) : y, cl: true });

function maxPool(ins: (Value | undefined)[], ctx: OpCtx): Value[] {
  const { x, oneD } = lift1D(need(ins, 0, ctx.node));
  return [unlift(windows(x, poolGeometry(ctx, x, oneD), 'max'), oneD)];
}

function avgPool(ins: (Value | undefined)[], ctx: OpCtx): Value[] {
  const { x, oneD } = lift1D(need(ins, 0, ctx.node));
  const g = poolGeometry(ctx, x, oneD);
  const sum = windows(x, g, 'sum');
  const include = attrInt(ctx.node, 'count_include_pad', 0) === 1;
  // Divisor per output position: window ∩ input (exclude) or window ∩ padded input (include).
  const ch = counts(g, 0, include ? -g.begin[0] : 0, include ? g.inS[0] + g.end[0] : g.inS[0]);
  const cw = counts(g, 1, include ? -g.begin[1] : 0, include ? g.inS[1] + g.end[1] : g.inS[1]);
  const full = g.k[0] * g.k[1];
  if (ch.every((c) => c === g.k[0]) && cw.every((c) => c === g.k[1])) return [unlift(tf.div(sum, full), oneD)];
  const div = ctx.memo(`div:${g.out.join('x')}`, () => tf.tensor4d(ch.flatMap((a) => cw.map((b) => 1 / Math.max(a * b, 1))), [1, g.out[0], g.out[1], 1]));
  return [unlift(tf.mul(sum, div), oneD)];
}

const global = (f: (x: tf.Tensor, axes: number[]) => tf.Tensor): OpDef => ({
  layoutAware: true,
  run: (ins, ctx) => {
    const x = toChannelsLast(need(ins, 0, ctx.node));
    return [{ t: f(x, Array.from({ length: x.rank - 2 }, (_, i) => i + 1)), cl: true }];
  },
});

export const poolOps: Record<string, OpDef> = {
  MaxPool: {
    layoutAware: true,
    check: (n, _o, c) => (n.outputs[1] ? 'MaxPool with an Indices output is not supported' : checkSpatial(n, c, 'MaxPool')),
    run: maxPool,
  },
  AveragePool: { layoutAware: true, check: (n, _o, c) => checkSpatial(n, c, 'AveragePool'), run: avgPool },
  GlobalAveragePool: global((x, axes) => tf.mean(x, axes, true)),
  GlobalMaxPool: global((x, axes) => tf.max(x, axes, true)),
};
