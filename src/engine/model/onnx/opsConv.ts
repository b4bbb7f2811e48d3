// Conv and ConvTranspose (1-D and 2-D, groups, dilations, explicit and automatic padding) on channels-last values.
// Weights are converted once per plan (OIHW → HWIO), and an activation/zero Pad folded in by the executor runs inside
// the fused TF.js convolution (ENGINE_NOTES §3.1, §3.5: a non-linear fused activation keeps gradients input-only).
import * as tf from '@tensorflow/tfjs-core';
import type { NodeDef } from './decodeModel';
import { toChannelsLast, type Value } from './layout';
import { clip } from './opsActivation';
import { attrInt, attrInts, attrString, checkSize, need, type CheckCtx, type OpCtx, type OpDef } from './opTypes';

/** Number of spatial axes of a conv-like node, from kernel_shape or the weight. */
function spatialRank(n: NodeDef, c: CheckCtx): number | undefined {
  const k = attrInts(n, 'kernel_shape');
  if (k) return k.length;
  const w = c.constant(n.inputs[1]);
  if (w) return w.dims.length - 2;
  const r = c.rank(n.inputs[1]) ?? c.rank(n.inputs[0]);
  return r === undefined ? undefined : r - 2;
}

export function checkSpatial(n: NodeDef, c: CheckCtx, what: string): string | null {
  const r = spatialRank(n, c);
  return r !== undefined && (r < 1 || r > 2) ? `${what} with ${r} spatial dimensions is not supported (1-D and 2-D only)` : null;
}

/** Begin/end pads per spatial axis: [b0, b1, e0, e1] as ONNX orders them. */
export function resolvePads(n: NodeDef, input: number[], kEff: number[], strides: number[]): number[] {
  const k = input.length;
  const auto = attrString(n, 'auto_pad', 'NOTSET');
  if (auto === 'VALID') return new Array(2 * k).fill(0);
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const pads = new Array(2 * k).fill(0);
    for (let i = 0; i < k; i++) {
      const out = Math.ceil(input[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + kEff[i] - input[i]);
      const small = Math.floor(total / 2);
      pads[i] = auto === 'SAME_UPPER' ? small : total - small;
      pads[i + k] = total - pads[i];
    }
    return pads;
  }
  const p = attrInts(n, 'pads') ?? [];
  return Array.from({ length: 2 * k }, (_, i) => p[i] ?? 0);
}

/** Inserts d−1 zeros between kernel taps (HWIO), so dilation and stride can both exceed 1 on TF.js. */
function dilateKernel(f: tf.Tensor4D, d: [number, number]): tf.Tensor4D {
  if (d[0] === 1 && d[1] === 1) return f;
  const [kh, kw, i, o] = f.shape as number[];
  const t = tf.pad(tf.reshape(f, [kh, 1, kw, 1, i, o]), [[0, 0], [0, d[0] - 1], [0, 0], [0, d[1] - 1], [0, 0], [0, 0]]);
  return tf.slice(tf.reshape(t, [kh * d[0], kw * d[1], i, o]), [0, 0, 0, 0], [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1, i, o]) as tf.Tensor4D;
}

interface Geometry { k: [number, number]; s: [number, number]; d: [number, number]; pads: [[number, number], [number, number]] }

/** Geometry for a 2-D op, with a 1-D op seen as height 1. */
function geometry(n: NodeDef, x: tf.Tensor4D, k: [number, number], oneD: boolean, extraPads?: number[]): Geometry {
  const two = (a: number[] | undefined, d: number): [number, number] => (oneD ? [1, a?.[0] ?? d] : [a?.[0] ?? d, a?.[1] ?? d]);
  const s = two(attrInts(n, 'strides'), 1), d = two(attrInts(n, 'dilations'), 1);
  const kEff: [number, number] = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1];
  const spatial = oneD ? [x.shape[2]] : [x.shape[1], x.shape[2]];
  let p = resolvePads(n, spatial, oneD ? [kEff[1]] : kEff, oneD ? [s[1]] : s);
  if (oneD) p = [0, p[0], 0, p[1]];
  if (extraPads) p = p.map((v, i) => v + extraPads[i]);
  // Validated here, before the backend sees them (corrupt files).
  const out = [0, 1].map((i) => Math.floor((x.shape[i + 1] + p[i] + p[i + 2] - kEff[i]) / s[i]) + 1);
  if (p.some((v) => v < 0) || s.some((v) => v < 1) || d.some((v) => v < 1) || out.some((v) => v < 1))
    throw new Error(`${n.opType} '${n.name}': invalid geometry (pads ${p}, strides ${s}, dilations ${d}) for input ${x.shape}`);
  checkSize([x.shape[0], ...out, x.shape[3]], `${n.opType} '${n.name}'`);
  return { k, s, d, pads: [[p[0], p[2]], [p[1], p[3]]] };
}

/** The activation of a fused Relu/Clip, applied in the TF.js fused kernel when the rule allows it. */
function activationOf(ctx: OpCtx): { fused: 'linear' | 'relu' | 'relu6'; after?: (y: tf.Tensor) => tf.Tensor } {
  const a = ctx.fusion?.act;
  if (!a) return { fused: 'linear' };
  const lo = a.kind === 'clip' ? a.min! : 0, hi = a.kind === 'relu6' ? 6 : a.kind === 'clip' ? a.max! : Infinity;
  if (ctx.rule === 'normal' && a.kind !== 'clip') return { fused: a.kind };
  return { fused: 'linear', after: (y) => clip(y, lo, hi, ctx.rule) };
}

function convRun(ins: (Value | undefined)[], ctx: OpCtx): Value[] {
  const n = ctx.node;
  const xv = need(ins, 0, n), wv = need(ins, 1, n);
  const w = wv.t;
  const oneD = w.rank === 3;
  let x = toChannelsLast(xv);
  if (oneD) x = tf.expandDims(x, 1);
  const [co, ciG] = w.shape as number[];
  const kh = (oneD ? 1 : w.shape[2]) as number, kw = (oneD ? w.shape[2] : w.shape[3]) as number;
  const g = attrInt(n, 'group', 1);
  const ci = x.shape[3]!;
  if (ci !== ciG * g) throw new Error(`Conv '${n.name}': input has ${ci} channels, the weight expects ${ciG}×${g} groups`);
  const geo = geometry(n, x as tf.Tensor4D, [kh, kw], oneD, ctx.fusion?.pads);
  const bothGt1 = (geo.s[0] > 1 || geo.s[1] > 1) && (geo.d[0] > 1 || geo.d[1] > 1);
  const dil: [number, number] = bothGt1 ? [1, 1] : geo.d;
  const depthwise = g > 1 && g === ci && ciG === 1;
  const filter = (() => {
    const make = () => {
      const w4 = oneD ? tf.expandDims(w, 2) : w; // [Co, Ci/g, kh, kw]
      const f = depthwise ? tf.transpose(tf.reshape(w4, [ci, co / ci, kh, kw]), [2, 3, 0, 1]) : tf.transpose(w4, [2, 3, 1, 0]);
      return bothGt1 ? dilateKernel(f as tf.Tensor4D, geo.d) : f;
    };
    return ctx.isStatic(1) ? ctx.memo('filter', make) : make();
  })() as tf.Tensor4D;
  const bias = ins[2] ? ins[2].t as tf.Tensor1D : undefined;
  const pad = [[0, 0], geo.pads[0], geo.pads[1], [0, 0]] as tf.backend_util.ExplicitPadding;
  const act = activationOf(ctx);
  let y: tf.Tensor4D;
  if (g === 1 || depthwise) {
    if (act.fused !== 'linear') {
      const args = { x: x as tf.Tensor4D, filter, strides: geo.s, pad, dilations: dil, bias, activation: act.fused };
      y = depthwise ? tf.fused.depthwiseConv2d(args as any) : tf.fused.conv2d(args);
    } else {
      // Spelled out: a fused linear conv would also compute the filter gradient (ENGINE_NOTES §3.1).
      y = depthwise ? tf.depthwiseConv2d(x as tf.Tensor4D, filter, geo.s, pad, 'NHWC', dil) : tf.conv2d(x as tf.Tensor4D, filter, geo.s, pad, 'NHWC', dil);
      if (bias) y = tf.add(y, bias);
    }
  } else {
    const xs = tf.split(x, g, 3), fs = tf.split(filter, g, 3);
    y = tf.concat(xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, fs[i] as tf.Tensor4D, geo.s, pad, 'NHWC', dil)), 3);
    if (bias) y = tf.add(y, bias);
    if (act.fused !== 'linear') y = act.fused === 'relu' ? tf.relu(y) : tf.relu6(y);
  }
  let out: tf.Tensor = act.after ? act.after(y) : y;
  if (oneD) out = tf.squeeze(out, [1]);
  return [{ t: out, cl: true }];
}

function convTransposeRun(ins: (Value | undefined)[], ctx: OpCtx): Value[] {
  const n = ctx.node;
  const w = need(ins, 1, n).t; // [Ci, Co/g, k…]
  const oneD = w.rank === 3;
  let x = toChannelsLast(need(ins, 0, n)) as tf.Tensor4D;
  if (oneD) x = tf.expandDims(x, 1) as tf.Tensor4D;
  const g = attrInt(n, 'group', 1);
  const [ci, coG] = w.shape as number[];
  const kh = (oneD ? 1 : w.shape[2]) as number, kw = (oneD ? w.shape[2] : w.shape[3]) as number;
  // A 1-D op is seen as height 1: stride/dilation 1 and output padding 0 on that axis.
  const two = (a: number[] | undefined, d: number): [number, number] => (oneD ? [d === 0 ? 0 : 1, a?.[0] ?? d] : [a?.[0] ?? d, a?.[1] ?? d]);
  const s = two(attrInts(n, 'strides'), 1), d = two(attrInts(n, 'dilations'), 1), op = two(attrInts(n, 'output_padding'), 0);
  const kEff = [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1];
  const inS = [x.shape[1] as number, x.shape[2] as number];
  const full = inS.map((v, i) => (v - 1) * s[i] + kEff[i]);
  // Output size and begin padding per axis (ONNX ConvTranspose spec).
  const auto = attrString(n, 'auto_pad', 'NOTSET');
  const outShapeAttr = attrInts(n, 'output_shape');
  const pAttr = attrInts(n, 'pads') ?? [];
  const pads2 = oneD ? [0, pAttr[0] ?? 0, 0, pAttr[1] ?? 0] : [0, 1, 2, 3].map((i) => pAttr[i] ?? 0);
  const begin: number[] = [], out: number[] = [];
  for (let i = 0; i < 2; i++) {
    let target: number | undefined;
    if (outShapeAttr) target = oneD ? (i === 0 ? 1 : outShapeAttr[outShapeAttr.length - 1]) : outShapeAttr[outShapeAttr.length - 2 + i];
    else if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') target = inS[i] * s[i];
    if (target !== undefined) {
      const total = s[i] * (inS[i] - 1) + op[i] + kEff[i] - target;
      begin.push(auto === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2));
      out.push(target);
    } else {
      begin.push(pads2[i]);
      out.push(full[i] + op[i] - pads2[i] - pads2[i + 2]);
    }
  }
  if (s.some((v) => v < 1) || d.some((v) => v < 1)) throw new Error(`ConvTranspose '${n.name}': invalid strides/dilations`);
  checkSize([x.shape[0], ...full, coG * g], `ConvTranspose '${n.name}'`);
  checkSize([x.shape[0], ...out, coG * g], `ConvTranspose '${n.name}'`);
  const filter = (() => {
    const make = () => dilateKernel(tf.transpose(oneD ? tf.expandDims(w, 2) : w, [2, 3, 1, 0]) as tf.Tensor4D, d);
    return ctx.isStatic(1) ? ctx.memo('filter', make) : make();
  })() as tf.Tensor4D;
  const run = (xi: tf.Tensor4D, fi: tf.Tensor4D) => tf.conv2dTranspose(xi, fi, [x.shape[0], full[0], full[1], coG], s, 'valid');
  let y: tf.Tensor4D = g === 1 ? run(x, filter)
    : tf.concat(tf.split(x, g, 3).map((xi, i) => run(xi as tf.Tensor4D, tf.split(filter, g, 3)[i] as tf.Tensor4D)), 3);
  void ci;
  // Crop the begin pads, then zero-fill up to the output size (output_padding or a larger output_shape).
  const sb = begin.map((b) => Math.max(b, 0));
  const keep = [0, 1].map((i) => Math.max(0, Math.min(out[i], full[i] - sb[i])));
  y = tf.slice(y, [0, sb[0], sb[1], 0], [-1, keep[0], keep[1], -1]);
  const front = begin.map((b) => Math.max(-b, 0));
  if (keep[0] + front[0] < out[0] || keep[1] + front[1] < out[1] || front[0] || front[1])
    y = tf.pad(y, [[0, 0], [front[0], out[0] - keep[0] - front[0]], [front[1], out[1] - keep[1] - front[1]], [0, 0]]);
  if (ins[2]) y = tf.add(y, ins[2].t);
  return [{ t: oneD ? tf.squeeze(y, [1]) : y, cl: true }];
}

export const convOps: Record<string, OpDef> = {
  Conv: { layoutAware: true, check: (n, _o, c) => checkSpatial(n, c, 'Conv'), run: convRun },
  ConvTranspose: { layoutAware: true, check: (n, _o, c) => checkSpatial(n, c, 'ConvTranspose'), run: convTransposeRun },
};
