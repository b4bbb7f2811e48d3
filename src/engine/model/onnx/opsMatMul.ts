// Gemm and MatMul (numpy semantics: 1-D operands promoted, batch dimensions broadcast).
import * as tf from '@tensorflow/tfjs-core';
import { attrFloat, attrInt, need, type OpDef } from './opTypes';

function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const a1 = a.rank === 1, b1 = b.rank === 1;
  const A = a1 ? tf.reshape(a, [1, -1]) : a, B = b1 ? tf.reshape(b, [-1, 1]) : b;
  let y: tf.Tensor;
  if (A.rank === 2 && B.rank === 2) y = tf.matMul(A as tf.Tensor2D, B as tf.Tensor2D);
  else {
    const batch = tf.backend_util.assertAndGetBroadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
    const n = batch.reduce((x, v) => x * v, 1);
    const [m, k] = A.shape.slice(-2), [, p] = B.shape.slice(-2);
    const A3 = tf.reshape(tf.broadcastTo(A, [...batch, m, k]), [n, m, k]) as tf.Tensor3D;
    const B3 = tf.reshape(tf.broadcastTo(B, [...batch, k, p]), [n, k, p]) as tf.Tensor3D;
    y = tf.reshape(tf.matMul(A3, B3), [...batch, m, p]);
  }
  if (a1) y = tf.squeeze(y, [y.rank - 2]);
  if (b1) y = tf.squeeze(y, [y.rank - 1]);
  return y;
}

export const matMulOps: Record<string, OpDef> = {
  MatMul: { run: (ins, ctx) => [{ t: matmul(need(ins, 0, ctx.node).t, need(ins, 1, ctx.node).t), cl: false }] },
  Gemm: {
    run: (ins, ctx) => {
      const n = ctx.node;
      const a = need(ins, 0, n).t as tf.Tensor2D, b = need(ins, 1, n).t as tf.Tensor2D;
      const alpha = attrFloat(n, 'alpha', 1), beta = attrFloat(n, 'beta', 1);
      let y: tf.Tensor = tf.matMul(a, b, attrInt(n, 'transA', 0) === 1, attrInt(n, 'transB', 0) === 1);
      if (alpha !== 1) y = tf.mul(y, alpha);
      if (ins[2] && beta !== 0) y = tf.add(y, beta === 1 ? ins[2].t : tf.mul(ins[2].t, beta));
      return [{ t: y, cl: false }];
    },
  },
};
