// Shape and data-movement operators: Constant(OfShape), Shape, Reshape, Flatten, Transpose, (Un)Squeeze, Concat,
// Split, Slice, Gather, Pad, Tile, Expand, Range. Shape arithmetic (Shape→Gather→Concat→Reshape) reads small
// static tensors on the host; the executor folds it once per input shape so it costs nothing per call.
import * as tf from '@tensorflow/tfjs-core';
import { clPerm, logicalShape, physicalAxis, toPlain, type Value } from './layout';
import { attrFloats, attrInt, attrInts, attrString, attrTensor, checkSize, need, normAxis, type OpCtx, type OpDef } from './opTypes';
import type { HostTensor } from './tensorProto';

export const hostToTensor = (h: HostTensor): tf.Tensor => tf.tensor(h.data, h.dims, h.dtype);

const p = (t: tf.Tensor): Value => ({ t, cl: false });
const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);

/** Values of an axes-like list: attribute before `inputFrom`, else the optional input `i`. */
function listArg(ctx: OpCtx, ins: (Value | undefined)[], name: string, i: number, inputFrom: number): number[] | undefined {
  if (ctx.opset < inputFrom) return attrInts(ctx.node, name);
  return ins[i] ? ctx.read(i) : undefined;
}

/** Differentiable gather: tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks. */
function gather(x: tf.Tensor, idx: tf.Tensor, axis: number): tf.Tensor {
  if (x.dtype !== 'float32') return tf.gather(x, idx, axis);
  // idx is saved with the forward pass: the op's own tidy would dispose it before the backward pass runs.
  const f = tf.customGrad(((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    save([idx]);
    return {
      value: tf.gather(xx, idx, axis),
      gradFunc: (dy: tf.Tensor, [ii]: tf.Tensor[]) => {
        const pre = prod(xx.shape.slice(0, axis)), post = prod(xx.shape.slice(axis + 1)), k = ii.size;
        const d = tf.transpose(tf.reshape(dy, [pre, k, post]), [1, 0, 2]);
        const g = tf.scatterND(tf.reshape(ii, [k, 1]), d, [xx.shape[axis], pre, post]);
        return tf.reshape(tf.transpose(g, [1, 0, 2]), xx.shape);
      },
    };
  }) as any) as (x: tf.Tensor) => tf.Tensor;
  return f(x);
}

/** Every `step`-th of `count` elements from `start` along `axis` (step may be negative), by slices only. */
function stepSlice(x: tf.Tensor, axis: number, start: number, count: number, step: number): tf.Tensor {
  const dim = x.shape[axis];
  let t = x, s = start;
  if (step < 0) { t = tf.reverse(x, axis); s = dim - 1 - start; step = -step; }
  if (count <= 0) return tf.slice(t, t.shape.map(() => 0), t.shape.map((d, i) => (i === axis ? 0 : d)));
  const len = Math.min((count - 1) * step + 1, dim - s);
  t = tf.slice(t, t.shape.map((_, i) => (i === axis ? s : 0)), t.shape.map((d, i) => (i === axis ? len : d)));
  if (step === 1) return t;
  t = tf.pad(t, t.shape.map((_, i) => (i === axis ? [0, count * step - len] : [0, 0])) as [number, number][]);
  const sh = t.shape;
  t = tf.reshape(t, [...sh.slice(0, axis), count, step, ...sh.slice(axis + 1)]);
  t = tf.slice(t, t.shape.map(() => 0), t.shape.map((d, i) => (i === axis + 1 ? 1 : d)));
  return tf.reshape(t, [...sh.slice(0, axis), count, ...sh.slice(axis + 1)]);
}

function padValue(x: tf.Tensor, pads: [number, number][], mode: string, value: number): tf.Tensor {
  // Negative pads crop.
  if (pads.some(([a, b]) => a < 0 || b < 0)) {
    x = tf.slice(x, pads.map(([a]) => Math.max(-a, 0)), x.shape.map((d, i) => d - Math.max(-pads[i][0], 0) - Math.max(-pads[i][1], 0)));
    pads = pads.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)]);
  }
  if (pads.every(([a, b]) => !a && !b)) return x;
  if (mode === 'constant') return tf.pad(x, pads, value);
  if (mode === 'reflect') return tf.mirrorPad(x, pads, 'reflect');
  // edge / wrap: one axis at a time, by concatenating edge (or opposite-end) slices.
  let t = x;
  pads.forEach(([a, b], axis) => {
    if (!a && !b) return;
    const d = t.shape[axis];
    const sl = (start: number, len: number) => tf.slice(t, t.shape.map((_, i) => (i === axis ? start : 0)), t.shape.map((s, i) => (i === axis ? len : s)));
    const rep = (start: number, n: number) => tf.broadcastTo(sl(start, 1), t.shape.map((s, i) => (i === axis ? n : s)));
    const parts = mode === 'edge' ? [a ? rep(0, a) : null, t, b ? rep(d - 1, b) : null] : [a ? sl(d - a, a) : null, t, b ? sl(0, b) : null];
    t = tf.concat(parts.filter((q): q is tf.Tensor => !!q), axis);
  });
  return t;
}

export const shapeOps: Record<string, OpDef> = {
  Constant: {
    check: (n) => (attrTensor(n, 'value') || ['value_float', 'value_floats', 'value_int', 'value_ints'].some((k) => n.attrs.has(k)) ? null
      : 'Constant of this kind (sparse or string) is not supported'),
    run: (_ins, ctx) => {
      const n = ctx.node;
      const t = attrTensor(n, 'value');
      if (t) return [p(hostToTensor(t))];
      const v = n.attrs.get('value_float') ?? n.attrs.get('value_floats') ?? n.attrs.get('value_int') ?? n.attrs.get('value_ints');
      const isInt = n.attrs.has('value_int') || n.attrs.has('value_ints');
      return [p(Array.isArray(v) ? tf.tensor1d(v as number[], isInt ? 'int32' : 'float32') : tf.scalar(v as number, isInt ? 'int32' : 'float32'))];
    },
  },
  ConstantOfShape: {
    run: (ins, ctx) => {
      const shape = checkSize(ctx.read(0), `ConstantOfShape '${ctx.node.name}'`);
      const v = attrTensor(ctx.node, 'value');
      return [p(tf.fill(shape, v ? v.data[0] : 0, v ? v.dtype : 'float32'))];
    },
  },
  Shape: {
    layoutAware: true,
    run: (ins, ctx) => {
      const s = logicalShape(need(ins, 0, ctx.node));
      const r = s.length;
      const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
      const start = clamp(attrInt(ctx.node, 'start', 0)), end = clamp(attrInt(ctx.node, 'end', r));
      return [p(tf.tensor1d(s.slice(start, Math.max(start, end)), 'int32'))];
    },
  },
  Size: { layoutAware: true, run: (ins, ctx) => [p(tf.scalar(need(ins, 0, ctx.node).t.size, 'int32'))] },
  Reshape: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const ls = logicalShape(x);
      const allowZero = attrInt(ctx.node, 'allowzero', 0) === 1;
      const spec = ctx.opset < 5 ? attrInts(ctx.node, 'shape') ?? [] : ctx.read(1);
      const shape = spec.map((d, i) => (d === 0 && !allowZero ? ls[i] : d));
      const known = prod(shape.filter((d) => d !== -1));
      const total = prod(ls);
      const full = shape.map((d) => (d === -1 ? (known ? total / known : 0) : d));
      if (prod(full) !== total) throw new Error(`Reshape '${ctx.node.name}': cannot reshape [${ls}] to [${spec}]`);
      return [p(tf.reshape(toPlain(x), full))];
    },
  },
  Flatten: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const ls = logicalShape(x);
      const a = attrInt(ctx.node, 'axis', 1);
      const axis = a < 0 ? a + ls.length : a; // 0 … rank inclusive
      return [p(tf.reshape(toPlain(x), [prod(ls.slice(0, axis)), prod(ls.slice(axis))]))];
    },
  },
  Transpose: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const r = x.t.rank;
      const perm = attrInts(ctx.node, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      // One physical transpose, whatever layout the input is held in.
      const phys = x.cl ? perm.map((a) => physicalAxis(a, r)) : perm;
      return [p(phys.every((a, i) => a === i) ? x.t : tf.transpose(x.t, phys))];
    },
  },
  Squeeze: {
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node).t;
      const axes = listArg(ctx, ins, 'axes', 1, 13);
      return [p(axes && axes.length ? tf.squeeze(x, axes.map((a) => normAxis(a, x.rank))) : tf.squeeze(x))];
    },
  },
  Unsqueeze: {
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node).t;
      const axes = (listArg(ctx, ins, 'axes', 1, 13) ?? []);
      const r = x.rank + axes.length;
      const set = new Set(axes.map((a) => normAxis(a, r)));
      const shape: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) shape.push(set.has(i) ? 1 : x.shape[k++]);
      return [p(tf.reshape(x, shape))];
    },
  },
  Concat: {
    layoutAware: true,
    run: (ins, ctx) => {
      const vs = ins.filter((v): v is Value => !!v);
      const r = vs[0].t.rank;
      const axis = normAxis(attrInt(ctx.node, 'axis', ctx.opset < 4 ? 1 : 0), r);
      // Empty inputs (a 0-length shape vector) contribute nothing.
      const nonEmpty = vs.filter((v) => v.t.size > 0);
      const use = nonEmpty.length ? nonEmpty : vs.slice(0, 1);
      if (r >= 3 && use.every((v) => v.cl)) return [{ t: tf.concat(use.map((v) => v.t), physicalAxis(axis, r)), cl: true }];
      return [p(use.length === 1 ? toPlain(use[0]) : tf.concat(use.map(toPlain), axis))];
    },
  },
  Split: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const r = x.t.rank;
      const axis = normAxis(attrInt(ctx.node, 'axis', 0), r);
      const dim = logicalShape(x)[axis];
      const k = ctx.node.outputs.length;
      let sizes = listArg(ctx, ins, 'split', 1, 13);
      if (!sizes || !sizes.length) {
        const num = attrInt(ctx.node, 'num_outputs', k);
        const each = Math.ceil(dim / num);
        sizes = Array.from({ length: num }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
      }
      const parts = tf.split(x.t, sizes, x.cl ? physicalAxis(axis, r) : axis);
      return parts.map((t) => ({ t, cl: x.cl }));
    },
  },
  Slice: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const ls = logicalShape(x), r = ls.length;
      const old = ctx.opset < 10;
      const starts = old ? attrInts(ctx.node, 'starts') ?? [] : ctx.read(1);
      const ends = old ? attrInts(ctx.node, 'ends') ?? [] : ctx.read(2);
      const axes = (old ? attrInts(ctx.node, 'axes') : ins[3] ? ctx.read(3) : undefined) ?? starts.map((_, i) => i);
      const steps = (!old && ins[4] ? ctx.read(4) : undefined) ?? starts.map(() => 1);
      let t = x.t;
      axes.forEach((a0, i) => {
        const a = normAxis(a0, r), d = ls[a], step = steps[i];
        if (!step) throw new Error(`Slice '${ctx.node.name}': step 0`);
        let s = starts[i] < 0 ? starts[i] + d : starts[i], e = ends[i] < 0 ? ends[i] + d : ends[i];
        if (step > 0) { s = Math.min(Math.max(s, 0), d); e = Math.min(Math.max(e, 0), d); } else { s = Math.min(Math.max(s, 0), d - 1); e = Math.min(Math.max(e, -1), d - 1); }
        const count = step > 0 ? Math.ceil((e - s) / step) : Math.ceil((s - e) / -step);
        if (s === 0 && step === 1 && count === d) return;
        t = stepSlice(t, x.cl ? physicalAxis(a, r) : a, s, Math.max(count, 0), step);
      });
      return [{ t, cl: x.cl }];
    },
  },
  Gather: {
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node).t;
      const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.rank);
      const d = x.shape[axis];
      let idx: tf.Tensor;
      if (ctx.isStatic(1)) {
        const iv = ins[1]!.t;
        idx = tf.tensor(ctx.read(1).map((i) => (i < 0 ? i + d : i)), iv.shape, 'int32');
      } else {
        const i = tf.cast(ins[1]!.t, 'int32');
        idx = tf.where(tf.less(i, 0), tf.add(i, tf.scalar(d, 'int32')), i);
      }
      return [p(gather(x, idx, axis))];
    },
  },
  Pad: {
    layoutAware: true,
    check: (n) => (['constant', 'reflect', 'edge', 'wrap'].includes(attrString(n, 'mode', 'constant')) ? null : `Pad mode '${attrString(n, 'mode', '')}' is not supported`),
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const r = x.t.rank;
      const raw = ctx.opset < 11 ? attrInts(ctx.node, 'pads') ?? [] : ctx.read(1);
      const value = ctx.opset < 11 ? attrFloats(ctx.node, 'value')?.[0] ?? 0 : ins[2] ? ctx.read(2)[0] ?? 0 : 0;
      const axes = ctx.opset >= 18 && ins[3] ? ctx.read(3).map((a) => normAxis(a, r)) : Array.from({ length: r }, (_, i) => i);
      const pads: [number, number][] = Array.from({ length: r }, () => [0, 0]);
      axes.forEach((a, i) => { pads[a] = [raw[i] ?? 0, raw[i + axes.length] ?? 0]; });
      const phys = x.cl ? clPerm(r).map((a) => pads[a]) : pads;
      // Checked before any allocation: a corrupt pads constant must not reach the backend.
      checkSize(x.t.shape.map((d, i) => d + phys[i][0] + phys[i][1]), `Pad '${ctx.node.name}'`);
      return [{ t: padValue(x.t, phys, attrString(ctx.node, 'mode', 'constant'), value), cl: x.cl }];
    },
  },
  Tile: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const reps = ctx.read(1);
      checkSize(logicalShape(x).map((d, i) => d * reps[i]), `Tile '${ctx.node.name}'`);
      const phys = x.cl ? clPerm(x.t.rank).map((a) => reps[a]) : reps;
      return [{ t: tf.tile(x.t, phys), cl: x.cl }];
    },
  },
  Expand: {
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node).t;
      const shape = tf.backend_util.assertAndGetBroadcastShape(x.shape, ctx.read(1));
      checkSize(shape, `Expand '${ctx.node.name}'`);
      return [p(tf.broadcastTo(x.rank < shape.length ? tf.reshape(x, [...Array(shape.length - x.rank).fill(1), ...x.shape]) : x, shape))];
    },
  },
  Range: {
    run: (ins, ctx) => {
      const [start, limit, delta] = [0, 1, 2].map((i) => ctx.read(i)[0]);
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      checkSize([n], `Range '${ctx.node.name}'`);
      const dtype = need(ins, 0, ctx.node).t.dtype === 'int32' ? 'int32' : 'float32';
      return [p(tf.tensor1d(Array.from({ length: n }, (_, i) => start + i * delta), dtype))];
    },
  },
};
