// Each composed wasm gradient kernel against the cpu backend, and whole-network input gradients against cpu and
// against finite differences (issue #2). Tolerances: ENGINE_NOTES §8.2 (1e-4 abs for input grads, 1e-5 rel for filters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { composedDepthwiseBackpropInput, stockWasmKernel } from '../../src/engine/backend/wasmGradKernels';
import { heapKernels } from '../../src/engine/backend/heapKernels';
import { activationMaskGrad, convWithInputGrad, type MaskActivation } from '../../src/engine/model/convInputGrad';

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
  // Into fewer than 8 channels (an image): columns + col2im.
  { x: [1, 16, 16, 3], f: [3, 3, 3, 8], s: 2, pad: 'same' },
  { x: [2, 13, 13, 3], f: [5, 5, 3, 6], s: 3, pad: 'valid' },
  { x: [1, 9, 9, 4], f: [3, 3, 4, 5], s: 2, pad: 1 },
  { x: [1, 12, 12, 1], f: [3, 3, 1, 4], s: 1, pad: 'same' },
];

for (const c of convCases) {
  test(`Conv2D input+filter gradient ${JSON.stringify(c)}`, async () => {
    await initBackend('auto');
    const [w, cpu] = await onBoth([c.x, c.f], (x, f) => {
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad as any);
      const wts = tf.randomUniform(conv(x, f).shape, -1, 1, 'float32', 7);
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), wts)))([x, f]);
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

// A model's conv node under a tape: one fused kernel forward, input gradient = activation mask + backprop kernel
// (convInputGrad.ts). Against tfjs's own split path (conv, bias add, activation) on cpu. Values reach past 6.
const fusedCases: { depthwise: boolean; x: number[]; f: number[]; s: number; pad: 'same' | 'valid'; act: MaskActivation }[] = [
  { depthwise: false, x: [2, 9, 9, 16], f: [1, 1, 16, 24], s: 1, pad: 'same', act: 'relu6' },
  { depthwise: false, x: [3, 17, 17, 3], f: [3, 3, 3, 8], s: 2, pad: 'same', act: 'relu6' },
  { depthwise: false, x: [1, 10, 10, 16], f: [3, 3, 16, 8], s: 2, pad: 'valid', act: 'relu' },
  { depthwise: false, x: [1, 7, 7, 12], f: [1, 1, 12, 5], s: 1, pad: 'valid', act: 'linear' },
  { depthwise: true, x: [2, 10, 10, 8], f: [3, 3, 8, 1], s: 2, pad: 'same', act: 'relu6' },
  { depthwise: true, x: [1, 9, 9, 5], f: [3, 3, 5, 1], s: 1, pad: 'same', act: 'relu' },
];
for (const c of fusedCases) {
  test(`conv node under a tape: value and input gradient as tfjs's split path ${JSON.stringify(c)}`, async () => {
    await initBackend('auto');
    const channels = c.depthwise ? c.f[2] : c.f[3];
    const run = (fused: boolean) => (x: tf.Tensor, f: tf.Tensor, bias: tf.Tensor) => {
      const spec = { x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: c.s, pad: c.pad, bias, activation: c.act };
      const node = fused
        ? convWithInputGrad({ depthwise: c.depthwise, filter: f as tf.Tensor4D, bias, strides: [c.s, c.s], pad: c.pad, dilations: [1, 1], activation: c.act })
        : (a: tf.Tensor4D) => (c.depthwise ? tf.fused.depthwiseConv2d({ ...spec, x: a }) : tf.fused.conv2d({ ...spec, x: a }));
      const scaled = tf.mul(x, 4);
      const y = node(scaled as tf.Tensor4D);
      const wts = tf.randomUniform(y.shape, -1, 1, 'float32', 7);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(node(a as tf.Tensor4D), wts)))(scaled);
      return tf.concat([y.flatten(), g.flatten()]);
    };
    const [fusedWasm, splitCpu] = [(await onBoth([c.x, c.f, [channels]], run(true)))[0], (await onBoth([c.x, c.f, [channels]], run(false)))[1]];
    const d = maxAbs(fusedWasm, splitCpu);
    assert.ok(d.rel < 1e-5 && d.abs < 1e-4, `diff ${JSON.stringify(d)}`);
    // The cpu fallback (composed mask) agrees too.
    const fusedCpu = (await onBoth([c.x, c.f, [channels]], run(true)))[1];
    const e = maxAbs(fusedCpu, splitCpu);
    assert.ok(e.rel < 1e-5 && e.abs < 1e-4, `cpu diff ${JSON.stringify(e)}`);
  });
}

test('activation mask gradient: strict at both ends, any length (SIMD body and scalar tail)', async () => {
  await initBackend('auto');
  const y = [0, 1e-30, 3, 6, 5.999999, 0, 7, 2, 6, 0.5, 0];
  const dy = y.map((_, i) => i + 1);
  for (const [act, want] of [['relu6', [0, 2, 3, 0, 5, 0, 0, 8, 0, 10, 0]], ['relu', [0, 2, 3, 4, 5, 0, 7, 8, 9, 10, 0]]] as const) {
    const g = activationMaskGrad(tf.tensor1d(dy), tf.tensor1d(y), act);
    assert.deepEqual(Array.from(await g.data()), want, act);
    g.dispose();
  }
});

// Into ≤ 4 channels the input gradient runs on heapKernels.wat in the stock kernel's summation order: bit for bit.
const fewChannelCases = [
  { x: [3, 224, 224, 3], f: [3, 3, 3, 8], s: 2, pad: 'same' },
  { x: [2, 17, 17, 3], f: [3, 3, 3, 8], s: 2, pad: 'same' },
  { x: [1, 13, 12, 1], f: [5, 5, 1, 6], s: 3, pad: 'valid' },
  { x: [1, 9, 9, 4], f: [3, 3, 4, 5], s: 1, pad: 'same' },
  { x: [1, 10, 11, 2], f: [4, 2, 2, 3], s: 2, pad: 1 },
] as const;
for (const c of fewChannelCases) {
  test(`Conv2DBackpropInput into few channels: bit for bit the stock wasm kernel ${JSON.stringify(c)}`, async () => {
    await initBackend('auto');
    const stock = stockWasmKernel('Conv2DBackpropInput');
    assert.ok(stock, 'the stock kernel was kept');
    assert.ok(heapKernels((tf.backend() as any).wasm.asm.memory), 'the SIMD kernel runs (not the stock fallback)');
    const info = tf.backend_util.computeConv2DInfo(c.x as any, c.f as any, c.s, 1, c.pad as any);
    const dy = tf.randomUniform([c.x[0], info.outHeight, info.outWidth, c.f[3]], -1, 1, 'float32', 3);
    const filter = tf.randomUniform(c.f as any, -1, 1, 'float32', 4);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as any;
    const ours = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor;
    const theirs = tf.engine().makeTensorFromTensorInfo(stock!({ inputs: { dy, filter }, backend: tf.backend(), attrs }) as tf.TensorInfo);
    const a = await ours.data(), b = await theirs.data();
    assert.equal(a.length, b.length);
    let differ = 0;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) differ++;
    assert.equal(differ, 0, `${differ} of ${a.length} values differ`);
    tf.dispose([ours, theirs, dy, filter]);
  });
}

// Depthwise input gradients (multiplier 1, channels % 4 = 0) on heapKernels.wat: bit for bit the composed path.
const depthwiseSimdCases = [
  { x: [1, 112, 112, 8], k: 3, s: 1, pad: 'same' },
  { x: [2, 56, 56, 16], k: 3, s: 2, pad: 'same' },
  { x: [1, 15, 15, 12], k: 3, s: 2, pad: 'valid' },
  { x: [1, 13, 13, 4], k: 5, s: 3, pad: 'same' },
  { x: [2, 9, 10, 8], k: 3, s: 1, pad: 'valid' },
  // channel blocks of 16, 8 and 4 (28 = 16 + 8 + 4), a wide layer, a dilated filter
  { x: [2, 11, 9, 28], k: 3, s: 2, pad: 'same' },
  { x: [1, 7, 7, 256], k: 3, s: 1, pad: 'same' },
  { x: [1, 12, 11, 20], k: 3, s: 1, pad: 'same', d: 2 },
] as const;
for (const c of depthwiseSimdCases) {
  test(`DepthwiseConv2dNativeBackpropInput: bit for bit the composed kernel ${JSON.stringify(c)}`, async () => {
    await initBackend('auto');
    const backend = tf.backend() as any;
    assert.ok(heapKernels(backend.wasm.asm.memory), 'the SIMD kernel runs');
    const f = [c.k, c.k, c.x[3], 1] as [number, number, number, number];
    const dilation = 'd' in c ? c.d : 1;
    const info = tf.backend_util.computeConv2DInfo(c.x as any, f, c.s, dilation, c.pad, undefined, true);
    const dy = tf.randomUniform([c.x[0], info.outHeight, info.outWidth, c.x[3]], -1, 1, 'float32', 5);
    const filter = tf.randomUniform(f, -1, 1, 'float32', 6);
    const ours = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter },
      { strides: c.s, pad: c.pad, dilations: dilation, inputShape: c.x } as any) as tf.Tensor;
    const composed = tf.engine().makeTensorFromTensorInfo(composedDepthwiseBackpropInput(backend, dy, filter, [...c.x], info));
    const a = await ours.data(), b = await composed.data();
    let differ = 0;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) differ++;
    assert.equal(a.length, b.length);
    assert.equal(differ, 0, `${differ} of ${a.length} values differ`);
    tf.dispose([ours, composed, dy, filter]);
  });
}
