// BatchNormalization (inference), InstanceNormalization, GroupNormalization, LayerNormalization, LRN and LpNormalization.
// Channel-wise ones run channels-last, where the channel is the last (broadcasting) axis.
import * as tf from '@tensorflow/tfjs-core';
import { physicalAxis, toChannelsLast, toPlain, type Value } from './layout';
import { attrFloat, attrInt, need, normAxis, type OpDef } from './opTypes';

/** Channels-last view of an activation; rank-2 [N, C] already has C last. */
const lastC = (v: Value) => (v.t.rank <= 2 ? toPlain(v) : toChannelsLast(v));
const out = (t: tf.Tensor): Value => ({ t, cl: t.rank > 2 });

export const normalizationOps: Record<string, OpDef> = {
  BatchNormalization: {
    layoutAware: true,
    check: (n, opset) => {
      if (attrInt(n, 'training_mode', 0) === 1 || n.outputs.slice(1).some(Boolean)) return 'BatchNormalization in training mode is not supported';
      if (opset < 9 && attrInt(n, 'spatial', 1) === 0) return 'BatchNormalization with spatial=0 is not supported';
      return null;
    },
    run: (ins, ctx) => {
      const x = lastC(need(ins, 0, ctx.node));
      // y = x·s + (β − μ·s), s = γ/√(σ² + ε): folded into one scale and shift per channel.
      const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
      const make = () => {
        const s = tf.div(ins[1]!.t, tf.sqrt(tf.add(ins[4]!.t, eps)));
        return tf.stack([s, tf.sub(ins[2]!.t, tf.mul(ins[3]!.t, s))]);
      };
      const ss = [1, 2, 3, 4].every((i) => ctx.isStatic(i)) ? ctx.memo('scaleShift', make) : make();
      const [s, b] = tf.unstack(ss);
      return [out(tf.add(tf.mul(x, s), b))];
    },
  },
  InstanceNormalization: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = toChannelsLast(need(ins, 0, ctx.node));
      const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
      const { mean, variance } = tf.moments(x, axes, true);
      const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, attrFloat(ctx.node, 'epsilon', 1e-5))));
      return [out(tf.add(tf.mul(y, need(ins, 1, ctx.node).t), need(ins, 2, ctx.node).t))];
    },
  },
  GroupNormalization: {
    layoutAware: true,
    check: (n) => (attrInt(n, 'num_groups', 0) >= 1 ? null : 'GroupNormalization needs a positive num_groups attribute'),
    run: (ins, ctx) => {
      const x = lastC(need(ins, 0, ctx.node));
      const g = attrInt(ctx.node, 'num_groups', 1), c = x.shape[x.rank - 1];
      if (c % g) throw new Error(`GroupNormalization '${ctx.node.name}': ${c} channels do not split into ${g} groups`);
      // [N, …, C] → [N, S, G, C/G]: statistics per sample and group, over the spatial positions and the group's channels.
      const grouped = tf.reshape(x, [x.shape[0], -1, g, c / g]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      const y = tf.reshape(tf.div(tf.sub(grouped, mean), tf.sqrt(tf.add(variance, attrFloat(ctx.node, 'epsilon', 1e-5)))), x.shape);
      // Opset 18 gives scale and bias per group (expanded to the group's channels); opset 21 per channel.
      const perChannel = (v: tf.Tensor) => (v.size === c ? tf.reshape(v, [c]) : tf.reshape(tf.tile(tf.reshape(v, [g, 1]), [1, c / g]), [c]));
      const scale = need(ins, 1, ctx.node).t, bias = need(ins, 2, ctx.node).t;
      const want = ctx.opset >= 21 ? c : g;
      if (scale.size !== want || bias.size !== want)
        throw new Error(`GroupNormalization '${ctx.node.name}' (opset ${ctx.opset}): scale and bias need ${want} values, got ${scale.size} and ${bias.size}`);
      return [out(tf.add(tf.mul(y, perChannel(scale)), perChannel(bias)))];
    },
  },
  LayerNormalization: {
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node).t;
      const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.rank);
      const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
      const { mean, variance } = tf.moments(x, axes, true);
      const inv = tf.rsqrt(tf.add(variance, attrFloat(ctx.node, 'epsilon', 1e-5)));
      let y = tf.mul(tf.mul(tf.sub(x, mean), inv), need(ins, 1, ctx.node).t);
      if (ins[2]) y = tf.add(y, ins[2].t);
      return [{ t: y, cl: false }, { t: mean, cl: false }, { t: inv, cl: false }];
    },
  },
  LRN: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = toChannelsLast(need(ins, 0, ctx.node));
      const n = ctx.node, size = attrInt(n, 'size', 1);
      const alpha = attrFloat(n, 'alpha', 1e-4), beta = attrFloat(n, 'beta', 0.75), bias = attrFloat(n, 'bias', 1);
      // Sum of squares over channels [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉], zero outside.
      const r = x.rank, c = x.shape[r - 1];
      const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
      const sq = tf.pad(tf.square(x), x.shape.map((_, i) => (i === r - 1 ? [lo, hi] : [0, 0])) as [number, number][]);
      let sum: tf.Tensor | null = null;
      for (let k = 0; k < size; k++) {
        const sl = tf.slice(sq, x.shape.map((_, i) => (i === r - 1 ? k : 0)), x.shape.map((d, i) => (i === r - 1 ? c : d)));
        sum = sum ? tf.add(sum, sl) : sl;
      }
      return [out(tf.div(x, tf.pow(tf.add(tf.mul(sum!, alpha / size), bias), beta)))];
    },
  },
  LpNormalization: {
    layoutAware: true,
    check: (n) => ([1, 2].includes(attrInt(n, 'p', 2)) ? null : 'LpNormalization supports p = 1 and 2'),
    run: (ins, ctx) => {
      const v = need(ins, 0, ctx.node);
      const r = v.t.rank, logical = normAxis(attrInt(ctx.node, 'axis', -1), r);
      const axis = v.cl ? physicalAxis(logical, r) : logical;
      const p = attrInt(ctx.node, 'p', 2);
      const norm = p === 1 ? tf.sum(tf.abs(v.t), axis, true) : tf.sqrt(tf.sum(tf.square(v.t), axis, true));
      return [{ t: tf.div(v.t, norm), cl: v.cl }];
    },
  },
};
