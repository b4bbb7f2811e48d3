// Resize (opset 10+) and Upsample (7–9). Each resized axis is a matrix product with an interpolation matrix built
// on the host (nearest with every rounding mode, linear, cubic; every coordinate transform but tf_crop_and_resize;
// opset 18's axes, antialias and keep_aspect_ratio_policy; opset 19's half_pixel_symmetric), which reproduces the
// ONNX definition exactly and is differentiable with respect to the image.
import * as tf from '@tensorflow/tfjs-core';
import { logicalShape, physicalAxis, type Value } from './layout';
import { attrFloat, attrFloats, attrInt, attrInts, attrString, checkSize, need, normAxis, type OpCtx, type OpDef } from './opTypes';

interface Mode {
  mode: string; coord: string; nearest: string; cubicA: number; excludeOutside: boolean;
  /** Opset 18: widen the linear/cubic filter by 1/scale when downscaling. */
  antialias: boolean;
}

/** Input coordinate of output index x (ONNX coordinate_transformation_mode); outInt is the integer output length. */
function sourceCoord(m: Mode, x: number, scale: number, inLen: number, outInt: number): number {
  // The resized length is in·scale, unrounded (as the ONNX reference computes it; = the output size given `sizes`).
  const outLen = inLen * scale;
  switch (m.coord) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    // Opset 19: half_pixel, shifted so that the centre of the input maps to the centre of the (rounded) output.
    case 'half_pixel_symmetric': return (inLen / 2) * (1 - outInt / outLen) + (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1);
    case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
    default: return x / scale; // asymmetric
  }
}

function roundNearest(v: number, mode: string): number {
  switch (mode) {
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
    case 'round_prefer_ceil': return Math.round(v);
    default: return v === Math.floor(v) + 0.5 ? Math.floor(v) : Math.round(v); // round_prefer_floor
  }
}

/** Keys' cubic convolution kernel with coefficient a. */
function cubicKernel(d: number, a: number): number {
  d = Math.abs(d);
  if (d <= 1) return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1;
  if (d < 2) return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a;
  return 0;
}

function cubicWeights(t: number, a: number): number[] {
  return [cubicKernel(t + 1, a), cubicKernel(t, a), cubicKernel(1 - t, a), cubicKernel(2 - t, a)];
}

/**
 * Antialiased taps (Resize-18, scale s < 1): the kernel (triangle of half-width 1, or cubic of half-width 2) stretched
 * to s⁻¹ input pixels. Taps are the integers x0 + i, i ∈ [start, 2 − start), with x0 = ⌈x⌉ − 1 (so x − x0 ∈ (0, 1]),
 * start = ⌊−w/s⌋ + 1, weight kernel(s·(x0 + i − x)), normalised to sum 1 — the ONNX definition's neighbourhood.
 */
function antialiasTaps(m: Mode, x: number, s: number): { pos: number[]; w: number[] } {
  const half = m.mode === 'linear' ? 1 : 2;
  const x0 = Math.ceil(x) - 1;
  const start = Math.floor(-half / s) + 1;
  const pos: number[] = [], w: number[] = [];
  for (let i = start; i < 2 - start; i++) {
    const d = s * (x0 + i - x);
    pos.push(x0 + i);
    w.push(m.mode === 'linear' ? Math.max(0, 1 - Math.abs(d)) : cubicKernel(d, m.cubicA));
  }
  const sum = w.reduce((a, b) => a + b, 0);
  return { pos, w: w.map((v) => v / sum) };
}

/** Interpolation matrix [outLen, inLen]. */
function matrix(m: Mode, inLen: number, outLen: number, scale: number): Float32Array {
  const M = new Float32Array(outLen * inLen);
  const clampI = (i: number) => Math.min(Math.max(i, 0), inLen - 1);
  for (let o = 0; o < outLen; o++) {
    const x = sourceCoord(m, o, scale, inLen, outLen);
    const row = o * inLen;
    if (m.antialias && scale < 1 && m.mode !== 'nearest') {
      // Out-of-range taps repeat the edge (clamped), or are dropped with exclude_outside.
      const { pos, w } = antialiasTaps(m, x, scale);
      const inside = pos.map((i) => i >= 0 && i < inLen);
      const total = m.excludeOutside ? w.reduce((s, v, k) => s + (inside[k] ? v : 0), 0) : 1;
      pos.forEach((i, k) => { if (!m.excludeOutside || inside[k]) M[row + clampI(i)] += w[k] / total; });
    } else if (m.mode === 'nearest') {
      M[row + clampI(roundNearest(x, m.nearest))] = 1;
    } else if (m.mode === 'linear') {
      const xc = Math.min(Math.max(x, 0), inLen - 1);
      const i0 = Math.floor(xc), i1 = Math.min(i0 + 1, inLen - 1), f = xc - i0;
      M[row + i0] += 1 - f;
      M[row + i1] += f;
    } else {
      const i0 = Math.floor(x), ws = cubicWeights(x - i0, m.cubicA);
      const idx = [i0 - 1, i0, i0 + 1, i0 + 2];
      const inside = idx.map((i) => i >= 0 && i < inLen);
      const total = m.excludeOutside ? ws.reduce((s, w, k) => s + (inside[k] ? w : 0), 0) : 1;
      idx.forEach((i, k) => {
        if (m.excludeOutside && !inside[k]) return;
        M[row + clampI(i)] += ws[k] / total;
      });
    }
  }
  return M;
}

/** Applies the matrix along one (physical) axis: y = M · x along that axis. */
function alongAxis(x: tf.Tensor, axis: number, M: tf.Tensor2D): tf.Tensor {
  const r = x.rank;
  const perm = [axis, ...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis)];
  const xt = axis === 0 ? x : tf.transpose(x, perm);
  const rest = xt.shape.slice(1);
  const y = tf.reshape(tf.matMul(M, tf.reshape(xt, [xt.shape[0], -1])), [M.shape[0], ...rest]);
  if (axis === 0) return y;
  const inv = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(y, inv);
}

/** Resizes every axis a of x to out[a] elements with scale factor scales[a] (the coordinate transform's). */
function resize(x: Value, ctx: OpCtx, m: Mode, scales: number[], out: number[]): Value {
  const ls = logicalShape(x), r = ls.length;
  checkSize(out, `${ctx.node.opType} '${ctx.node.name}'`);
  out.forEach((o, a) => checkSize([o, ls[a]], `${ctx.node.opType} '${ctx.node.name}' interpolation matrix`));
  let t = x.t;
  for (let a = 0; a < r; a++) {
    const scale = scales[a];
    if (out[a] === ls[a] && scale === 1) continue;
    const M = ctx.memo(`resize:${a}:${ls[a]}:${out[a]}:${scale}`, () => tf.tensor2d(matrix(m, ls[a], out[a], scale), [out[a], ls[a]]));
    const isFloat = t.dtype === 'float32';
    const y = alongAxis(isFloat ? t : tf.cast(t, 'float32'), x.cl ? physicalAxis(a, r) : a, M as tf.Tensor2D);
    t = isFloat ? y : tf.cast(tf.round(y), t.dtype);
  }
  return { t, cl: x.cl };
}

export const resizeOps: Record<string, OpDef> = {
  Resize: {
    layoutAware: true,
    check: (n) => {
      const coord = attrString(n, 'coordinate_transformation_mode', 'half_pixel');
      if (!['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'].includes(coord))
        return `Resize with coordinate_transformation_mode '${coord}' is not supported`;
      const policy = attrString(n, 'keep_aspect_ratio_policy', 'stretch');
      if (!['stretch', 'not_larger', 'not_smaller'].includes(policy)) return `Resize with keep_aspect_ratio_policy '${policy}' is not defined by ONNX`;
      return null;
    },
    run: (ins, ctx) => {
      const n = ctx.node, x = need(ins, 0, n);
      const r = x.t.rank;
      // Opset 10: (X, scales), asymmetric coordinates; 11+: (X, roi, scales, sizes).
      const m: Mode = {
        mode: attrString(n, 'mode', 'nearest'),
        coord: ctx.opset < 11 ? 'asymmetric' : attrString(n, 'coordinate_transformation_mode', 'half_pixel'),
        nearest: ctx.opset < 11 ? 'floor' : attrString(n, 'nearest_mode', 'round_prefer_floor'),
        cubicA: attrFloat(n, 'cubic_coeff_a', -0.75), excludeOutside: attrInt(n, 'exclude_outside', 0) === 1,
        antialias: ctx.opset >= 18 && attrInt(n, 'antialias', 0) === 1,
      };
      const si = ctx.opset < 11 ? 1 : 2;
      let scales = ins[si] && ins[si]!.t.size ? ctx.read(si) : null;
      let sizes = ctx.opset >= 11 && ins[3] && ins[3].t.size ? ctx.read(3) : null;
      const ls = logicalShape(x);
      // Opset 18: scales/sizes may cover only the listed axes.
      const axes = ctx.opset >= 18 ? attrInts(n, 'axes')?.map((v) => normAxis(v, r)) : undefined;
      const on = axes ?? ls.map((_, a) => a);
      if (axes) {
        const full = (vals: number[], def: (a: number) => number) => ls.map((_, a) => (axes.includes(a) ? vals[axes.indexOf(a)] : def(a)));
        if (scales) scales = full(scales, () => 1);
        if (sizes) sizes = full(sizes, (a) => ls[a]);
      }
      if (sizes) {
        scales = sizes.map((o, a) => o / ls[a]);
        // Opset 18: one scale for every resized axis, the smallest (not_larger) or largest (not_smaller) of the
        // per-axis ones, and sizes rounded half up from it.
        const policy = ctx.opset >= 18 ? attrString(n, 'keep_aspect_ratio_policy', 'stretch') : 'stretch';
        if (policy !== 'stretch') {
          const pick = on.map((a) => scales![a]);
          const s = policy === 'not_larger' ? Math.min(...pick) : Math.max(...pick);
          scales = ls.map((_, a) => (on.includes(a) ? s : 1));
          sizes = ls.map((d, a) => (on.includes(a) ? Math.floor(s * d + 0.5) : d));
        }
        return [resize(x, ctx, m, scales, sizes)];
      }
      if (!scales) throw new Error(`Resize '${n.name}' has neither scales nor sizes`);
      const sc = scales;
      return [resize(x, ctx, m, sc, ls.map((d, a) => Math.floor(d * sc[a])))];
    },
  },
  Upsample: {
    layoutAware: true,
    run: (ins, ctx) => {
      const n = ctx.node, x = need(ins, 0, n);
      const scales = ctx.opset < 9 ? attrFloats(n, 'scales') ?? [] : ctx.read(1);
      const m: Mode = { mode: attrString(n, 'mode', 'nearest'), coord: 'asymmetric', nearest: 'floor', cubicA: -0.75, excludeOutside: false, antialias: false };
      return [resize(x, ctx, m, scales, logicalShape(x).map((d, a) => Math.floor(d * scales[a])))];
    },
  },
};
