// Resize (opset 10+) and Upsample (7–9). Each resized axis is a matrix product with an interpolation matrix built
// on the host (nearest with every rounding mode, linear, cubic; every coordinate transform), which reproduces the
// ONNX definition exactly and is differentiable with respect to the image.
import * as tf from '@tensorflow/tfjs-core';
import { logicalShape, physicalAxis, type Value } from './layout';
import { attrFloat, attrFloats, attrInt, attrInts, attrString, checkSize, need, normAxis, type OpCtx, type OpDef } from './opTypes';

interface Mode {
  mode: string; coord: string; nearest: string; cubicA: number; excludeOutside: boolean;
}

/** Input coordinate of output index x (ONNX coordinate_transformation_mode). */
function sourceCoord(m: Mode, x: number, scale: number, inLen: number): number {
  // The resized length is in·scale, unrounded (as the ONNX reference computes it; = the output size given `sizes`).
  const outLen = inLen * scale;
  switch (m.coord) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
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

function cubicWeights(t: number, a: number): number[] {
  const w = (d: number) => {
    d = Math.abs(d);
    if (d <= 1) return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1;
    if (d < 2) return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a;
    return 0;
  };
  return [w(t + 1), w(t), w(1 - t), w(2 - t)];
}

/** Interpolation matrix [outLen, inLen]. */
function matrix(m: Mode, inLen: number, outLen: number, scale: number): Float32Array {
  const M = new Float32Array(outLen * inLen);
  const clampI = (i: number) => Math.min(Math.max(i, 0), inLen - 1);
  for (let o = 0; o < outLen; o++) {
    const x = sourceCoord(m, o, scale, inLen);
    const row = o * inLen;
    if (m.mode === 'nearest') {
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

function resize(x: Value, ctx: OpCtx, m: Mode, scales: number[] | null, sizes: number[] | null): Value {
  const ls = logicalShape(x), r = ls.length;
  const out = sizes ?? ls.map((d, i) => Math.floor(d * scales![i]));
  checkSize(out, `${ctx.node.opType} '${ctx.node.name}'`);
  out.forEach((o, a) => checkSize([o, ls[a]], `${ctx.node.opType} '${ctx.node.name}' interpolation matrix`));
  let t = x.t;
  for (let a = 0; a < r; a++) {
    if (out[a] === ls[a] && (!scales || scales[a] === 1)) continue;
    const scale = scales && !sizes ? scales[a] : out[a] / ls[a];
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
      if (!['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'].includes(coord))
        return `Resize with coordinate_transformation_mode '${coord}' is not supported`;
      if (attrInt(n, 'antialias', 0)) return 'Resize with antialias is not supported';
      if (attrString(n, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') return 'Resize with keep_aspect_ratio_policy other than stretch is not supported';
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
      };
      const si = ctx.opset < 11 ? 1 : 2;
      let scales = ins[si] && ins[si]!.t.size ? ctx.read(si) : null;
      let sizes = ctx.opset >= 11 && ins[3] && ins[3].t.size ? ctx.read(3) : null;
      const axes = attrInts(n, 'axes');
      if (axes) {
        // Opset 18: scales/sizes only for the listed axes.
        const ls = logicalShape(x);
        const full = (vals: number[], def: (a: number) => number) => Array.from({ length: r }, (_, a) => {
          const k = axes.map((v) => normAxis(v, r)).indexOf(a);
          return k >= 0 ? vals[k] : def(a);
        });
        if (scales) scales = full(scales, () => 1);
        if (sizes) sizes = full(sizes, (a) => ls[a]);
      }
      if (!scales && !sizes) throw new Error(`Resize '${n.name}' has neither scales nor sizes`);
      return [resize(x, ctx, m, scales, sizes)];
    },
  },
  Upsample: {
    layoutAware: true,
    run: (ins, ctx) => {
      const n = ctx.node, x = need(ins, 0, n);
      const scales = ctx.opset < 9 ? attrFloats(n, 'scales') ?? [] : ctx.read(1);
      const m: Mode = { mode: attrString(n, 'mode', 'nearest'), coord: 'asymmetric', nearest: 'floor', cubicA: -0.75, excludeOutside: false };
      return [resize(x, ctx, m, scales, null)];
    },
  },
};
