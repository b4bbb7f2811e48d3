// Elementwise ONNX operators with numpy-style broadcasting: arithmetic, comparisons, logic, Where, Cast and the
// unary maths functions. All keep a channels-last operand channels-last (layout.ts), so they cost no transposes.
import * as tf from '@tensorflow/tfjs-core';
import { registerComparisonGradients } from './comparisonGradients';
import { alignForBroadcast, type Value } from './layout';
import { attrInt, need, type OpDef } from './opTypes';
import { type HostDType, hostDType, onnxTypeName } from './tensorProto';

/** Broadcasts tensors to their common shape (some tf kernels want equal shapes). */
export function broadcastAll(ts: tf.Tensor[]): tf.Tensor[] {
  let shape: number[] = [];
  for (const t of ts) shape = tf.backend_util.assertAndGetBroadcastShape(shape, t.shape);
  return ts.map((t) => (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : tf.broadcastTo(t, shape)));
}

/** An op of any number of broadcast operands, run in whichever layout the operands share. */
const broadcasting = (f: (ts: tf.Tensor[]) => tf.Tensor, minInputs = 2): OpDef => ({
  layoutAware: true,
  run: (ins, ctx) => {
    const vs = ins.filter((v): v is Value => !!v);
    if (vs.length < minInputs) throw new Error(`${ctx.node.opType} '${ctx.node.name}' needs ${minInputs} inputs`);
    const { ts, cl } = alignForBroadcast(vs);
    return [{ t: f(ts), cl }];
  },
});

const unary = (f: (x: tf.Tensor) => tf.Tensor): OpDef => ({
  layoutAware: true,
  run: (ins, ctx) => { const x = need(ins, 0, ctx.node); return [{ t: f(x.t), cl: x.cl }]; },
});

registerComparisonGradients();

const isInt = (t: tf.Tensor) => t.dtype === 'int32';
const sameType = (a: tf.Tensor, b: tf.Tensor) => (a.dtype === b.dtype ? b : tf.cast(b, a.dtype));
/** Integer division truncates toward zero (C semantics), as ONNX runtimes do. */
function divide(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (!isInt(a)) return tf.div(a, b);
  const q = tf.div(tf.cast(a, 'float32'), tf.cast(b, 'float32'));
  return tf.cast(tf.mul(tf.sign(q), tf.floor(tf.abs(q))), 'int32');
}
const fold = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (ts: tf.Tensor[]) => ts.reduce((a, b) => f(a, b));

export const elementwiseOps: Record<string, OpDef> = {
  Add: broadcasting(([a, b]) => tf.add(a, b)),
  Sub: broadcasting(([a, b]) => tf.sub(a, b)),
  Mul: broadcasting(([a, b]) => tf.mul(a, b)),
  Div: broadcasting(([a, b]) => divide(a, b)),
  // Opset 12+ allows an exponent of another type; the result has the base's type.
  Pow: broadcasting(([a, b]) => (isInt(a) ? tf.cast(tf.round(tf.pow(tf.cast(a, 'float32'), tf.cast(b, 'float32'))), 'int32') : tf.pow(a, sameType(a, b)))),
  Max: broadcasting(fold(tf.maximum), 1),
  Min: broadcasting(fold(tf.minimum), 1),
  Sum: broadcasting(fold(tf.add), 1),
  Mean: broadcasting((ts) => tf.div(fold(tf.add)(ts), ts.length), 1),
  Equal: broadcasting(([a, b]) => tf.equal(a, sameType(a, b))),
  Greater: broadcasting(([a, b]) => tf.greater(a, sameType(a, b))),
  Less: broadcasting(([a, b]) => tf.less(a, sameType(a, b))),
  GreaterOrEqual: broadcasting(([a, b]) => tf.greaterEqual(a, sameType(a, b))),
  LessOrEqual: broadcasting(([a, b]) => tf.lessEqual(a, sameType(a, b))),
  And: broadcasting(([a, b]) => tf.logicalAnd(a, b)),
  Or: broadcasting(([a, b]) => tf.logicalOr(a, b)),
  Xor: broadcasting(([a, b]) => tf.logicalXor(a, b)),
  Where: broadcasting((ts) => { const [c, a, b] = broadcastAll(ts); return tf.where(tf.cast(c, 'bool'), a, sameType(a, b)); }, 3),
  Not: unary((x) => tf.logicalNot(tf.cast(x, 'bool'))),
  Sqrt: unary(tf.sqrt),
  Exp: unary(tf.exp),
  Log: unary(tf.log),
  Neg: unary(tf.neg),
  Abs: unary(tf.abs),
  Erf: unary(tf.erf),
  Reciprocal: unary(tf.reciprocal),
  Floor: unary(tf.floor),
  Ceil: unary(tf.ceil),
  Sign: unary(tf.sign),
  Sin: unary(tf.sin),
  Cos: unary(tf.cos),
  Tan: unary(tf.tan),
  Asin: unary(tf.asin),
  Acos: unary(tf.acos),
  Atan: unary(tf.atan),
  Sinh: unary(tf.sinh),
  Cosh: unary(tf.cosh),
  Asinh: unary(tf.asinh),
  Acosh: unary(tf.acosh),
  Atanh: unary(tf.atanh),
  Round: unary(tf.round), // half to even, as ONNX
  IsNaN: unary(tf.isNaN),
  IsInf: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      const neg = attrInt(ctx.node, 'detect_negative', 1) === 1, pos = attrInt(ctx.node, 'detect_positive', 1) === 1;
      const t = tf.logicalOr(neg ? tf.equal(x.t, -Infinity) : tf.zerosLike(x.t).cast('bool'), pos ? tf.equal(x.t, Infinity) : tf.zerosLike(x.t).cast('bool'));
      return [{ t, cl: x.cl }];
    },
  },
  Identity: unary((x) => x),
  Cast: {
    layoutAware: true,
    check: (n) => (hostDType(attrInt(n, 'to', 1)) ? null : `Cast to ${onnxTypeName(attrInt(n, 'to', 1))} is not supported`),
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      return [{ t: castTo(x.t, hostDType(attrInt(ctx.node, 'to', 1))!), cl: x.cl }];
    },
  },
  // Opset 15 (revised 19, 21 for new element types), emitted by newer torch exporters: Cast to the second input's type.
  CastLike: {
    layoutAware: true,
    run: (ins, ctx) => {
      const x = need(ins, 0, ctx.node);
      return [{ t: castTo(x.t, need(ins, 1, ctx.node).t.dtype as HostDType), cl: x.cl }];
    },
  },
};

/** float → int truncates toward zero, as a C cast does. */
function castTo(x: tf.Tensor, to: HostDType): tf.Tensor {
  if (x.dtype === to) return x;
  return to === 'int32' && x.dtype === 'float32' ? tf.cast(tf.mul(tf.sign(x), tf.floor(tf.abs(x))), 'int32') : tf.cast(x, to);
}
