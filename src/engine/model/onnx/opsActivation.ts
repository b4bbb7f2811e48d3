// Activation functions, Softmax/LogSoftmax and Dropout (inference: identity). Relu and Clip(0, m) follow the
// engine's ReLU rule so guided backprop and deconvnet work on ONNX models (METHODS §3.3–3.4, reluRules.ts).
import * as tf from '@tensorflow/tfjs-core';
import { relu, relu6, type ReluRule } from '../reluRules';
import { alignForBroadcast, physicalAxis, type Value } from './layout';
import { attrFloat, attrInt, attrString, need, normAxis, type OpCtx, type OpDef } from './opTypes';

const unary = (f: (x: tf.Tensor, ctx: OpCtx) => tf.Tensor): OpDef => ({
  layoutAware: true,
  run: (ins, ctx) => { const x = need(ins, 0, ctx.node); return [{ t: f(x.t, ctx), cl: x.cl }]; },
});

const FLOAT_MAX = 3.4028234663852886e38;

/** Clip bounds: attributes before opset 11, optional inputs after. */
export function clipBounds(ctx: OpCtx, ins: (Value | undefined)[]): [number, number] {
  if (ctx.opset < 11) return [attrFloat(ctx.node, 'min', -FLOAT_MAX), attrFloat(ctx.node, 'max', FLOAT_MAX)];
  return [ins[1] ? ctx.read(1)[0] : -Infinity, ins[2] ? ctx.read(2)[0] : Infinity];
}

/** Clip, with min = 0 treated as a ReLU (ReLU6 when max = 6) so the backward rule applies to it. */
export function clip(x: tf.Tensor, lo: number, hi: number, rule: ReluRule): tf.Tensor {
  if (lo === 0 && x.dtype === 'float32') {
    if (hi === 6) return relu6(x, rule);
    const r = relu(x, rule);
    return hi < FLOAT_MAX ? tf.minimum(r, hi) : r;
  }
  // min(max(x, lo), hi): also right when lo > hi (ONNX then returns hi everywhere).
  let y = x;
  if (lo > -FLOAT_MAX) y = tf.maximum(y, tf.scalar(lo, x.dtype));
  if (hi < FLOAT_MAX) y = tf.minimum(y, tf.scalar(hi, x.dtype));
  return y;
}

/** x for x > 0, a·(eˣ − 1) otherwise; written without a comparison so that it differentiates (tf.where's
 * condition would put a gradient-less Greater on the tape). */
const expLinear = (x: tf.Tensor, a: number) => tf.add(tf.relu(x), tf.mul(a, tf.sub(tf.exp(tf.minimum(x, 0)), 1)));

const hardSigmoid = (x: tf.Tensor, a: number, b: number) => tf.clipByValue(tf.add(tf.mul(x, a), b), 0, 1);

/** Softmax-like op along `axis` (opset ≥ 13), or over the flattened trailing axes from `axis` on (before 13). */
const softmaxLike = (f: (x: tf.Tensor) => tf.Tensor): OpDef => ({
  layoutAware: true,
  run: (ins, ctx) => {
    const v = need(ins, 0, ctx.node);
    const r = v.t.rank;
    if (ctx.opset < 13) {
      // Coerced to 2-D at `axis` (default 1): needs ONNX layout unless only the last axis is involved.
      const x = v.cl ? tf.transpose(v.t, [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]) : v.t;
      const axis = normAxis(attrInt(ctx.node, 'axis', 1), r);
      const inner = x.shape.slice(axis).reduce((a, b) => a * b, 1);
      return [{ t: tf.reshape(f(tf.reshape(x, [-1, inner])), x.shape), cl: false }];
    }
    const logical = normAxis(attrInt(ctx.node, 'axis', -1), r);
    const axis = v.cl ? physicalAxis(logical, r) : logical;
    if (axis === r - 1) return [{ t: f(v.t), cl: v.cl }];
    const perm = Array.from({ length: r }, (_, i) => i);
    perm[axis] = r - 1; perm[r - 1] = axis;
    return [{ t: tf.transpose(f(tf.transpose(v.t, perm)), perm), cl: v.cl }];
  },
});

export const activationOps: Record<string, OpDef> = {
  Relu: unary((x, ctx) => (x.dtype === 'float32' ? relu(x, ctx.rule) : tf.maximum(x, 0))),
  LeakyRelu: unary((x, ctx) => tf.leakyRelu(x, attrFloat(ctx.node, 'alpha', 0.01))),
  PRelu: {
    layoutAware: true,
    run: (ins, ctx) => {
      const { ts: [x, slope], cl } = alignForBroadcast([need(ins, 0, ctx.node), need(ins, 1, ctx.node)]);
      return [{ t: tf.add(tf.relu(x), tf.mul(slope, tf.minimum(x, 0))), cl }];
    },
  },
  Elu: unary((x, ctx) => {
    const a = attrFloat(ctx.node, 'alpha', 1);
    return a === 1 ? tf.elu(x) : expLinear(x, a);
  }),
  Selu: unary((x, ctx) => {
    const a = attrFloat(ctx.node, 'alpha', 1.67326319217681884765625), g = attrFloat(ctx.node, 'gamma', 1.05070102214813232421875);
    return tf.mul(g, expLinear(x, a));
  }),
  Clip: {
    layoutAware: true,
    run: (ins, ctx) => { const x = need(ins, 0, ctx.node); const [lo, hi] = clipBounds(ctx, ins); return [{ t: clip(x.t, lo, hi, ctx.rule), cl: x.cl }]; },
  },
  Sigmoid: unary((x) => tf.sigmoid(x)),
  HardSigmoid: unary((x, ctx) => hardSigmoid(x, attrFloat(ctx.node, 'alpha', 0.2), attrFloat(ctx.node, 'beta', 0.5))),
  HardSwish: unary((x) => tf.mul(x, hardSigmoid(x, 1 / 6, 0.5))),
  Mish: unary((x) => tf.mul(x, tf.tanh(tf.softplus(x)))),
  // Opset 20: x·Φ(x), exactly (erf) or with the tanh approximation.
  Gelu: {
    ...unary((x, ctx) => (attrString(ctx.node, 'approximate', 'none') === 'tanh'
      ? tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))
      : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))))),
    check: (n) => (['none', 'tanh'].includes(attrString(n, 'approximate', 'none')) ? null : `Gelu approximate='${attrString(n, 'approximate', '')}' is not defined by ONNX`),
  },
  Tanh: unary((x) => tf.tanh(x)),
  Softplus: unary((x) => tf.softplus(x)),
  ThresholdedRelu: unary((x, ctx) => tf.mul(x, tf.step(tf.sub(x, attrFloat(ctx.node, 'alpha', 1))))),
  Celu: unary((x, ctx) => {
    const a = attrFloat(ctx.node, 'alpha', 1);
    return tf.add(tf.relu(x), tf.minimum(0, tf.mul(a, tf.sub(tf.exp(tf.div(tf.minimum(x, 0), a)), 1))));
  }),
  Softsign: unary((x) => tf.div(x, tf.add(tf.abs(x), 1))),
  Softmax: softmaxLike((x) => tf.softmax(x)),
  LogSoftmax: softmaxLike((x) => tf.logSoftmax(x)),
  Dropout: {
    layoutAware: true,
    check: (n, opset, c) => {
      const tm = opset >= 12 && n.inputs[2] ? c.constant(n.inputs[2]) : undefined;
      if (n.inputs[2] && opset >= 12 && (!tm || tm.data[0])) return 'Dropout in training mode is not supported (CNN Lens runs models in inference mode)';
      return null;
    },
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const out: Value[] = [x];
      if (ctx.node.outputs[1]) out.push({ t: tf.onesLike(x.t).cast('bool'), cl: x.cl });
      return out;
    },
  },
};
