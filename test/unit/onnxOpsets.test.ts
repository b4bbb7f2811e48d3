// ONNX opsets 18–21 (issue #4). Debian's conformance data (onnxConformance.test.ts) stops at opset 17, so the operator
// versions that changed meaning later are checked here on small graphs written with the official schema:
//  - opset 18: Reduce* take axes as an input, Pad takes `axes`, Split takes `num_outputs`, Resize takes `axes`,
//    `antialias` and `keep_aspect_ratio_policy`; GroupNormalization (scale/bias per group);
//  - opset 19: Resize's half_pixel_symmetric, Pad's wrap mode, AveragePool's dilations;
//  - opset 20: Gelu; opset 21: GroupNormalization's scale/bias per channel.
// Expected values come from elsewhere: the same graph written the opset-17 way, plain-JS loops, or numbers worked
// out by hand from the operator definitions. Each graph also runs on channels-last input (how 4-D activations flow
// inside the executor) and, where float, differentiates. What stays unsupported fails with the operator and opset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { EngineError } from '../../src/engine/errors';
import { decodeOnnxModel } from '../../src/engine/model/onnx/decodeModel';
import { channelsLast, plain, toPlain } from '../../src/engine/model/onnx/layout';
import { OnnxExecutor } from '../../src/engine/model/onnx/onnxExecutor';
import { prepareGraph } from '../../src/engine/model/onnx/onnxGraph';
import { onnxSchema } from '../../src/engine/model/onnx/onnxSchema';
import { checkSupported } from '../../src/engine/model/onnx/opRegistry';

// --- a tiny ONNX writer: one node, float input x, int64/float initializers ---
type Attr = number | number[] | string | { floats: number[] };
interface Graph { op: string; opset: number; x: number[]; attrs?: Record<string, Attr>; consts?: (number[] | null)[]; floatConsts?: Record<string, { dims: number[]; data: number[] }>; outputs?: number }

function attribute(name: string, v: Attr): object {
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if (typeof v === 'object') return { name, type: 6, floats: v.floats };
  return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
}

/** Model bytes: node `op` reading x, then one input per `consts` entry (int64 vector initializer, or '' for null). */
function model(g: Graph): Uint8Array {
  const M = onnxSchema().lookupType('onnx.ModelProto');
  const inits: object[] = [];
  const inputs = ['x'];
  (g.consts ?? []).forEach((c, i) => {
    if (c === null) { inputs.push(''); return; }
    inits.push({ name: `c${i}`, dims: [c.length], data_type: 7, int64_data: c });
    inputs.push(`c${i}`);
  });
  for (const [name, t] of Object.entries(g.floatConsts ?? {})) { inits.push({ name, dims: t.dims, data_type: 1, float_data: t.data }); inputs.push(name); }
  const outs = Array.from({ length: g.outputs ?? 1 }, (_, i) => `y${i}`);
  const vinfo = (name: string, dims: number[]) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
  const msg = M.fromObject({
    ir_version: g.opset >= 21 ? 10 : g.opset >= 19 ? 9 : 8, producer_name: 'cnn-lens-test', opset_import: [{ domain: '', version: g.opset }],
    graph: {
      name: 'g', initializer: inits, input: [vinfo('x', g.x)], output: outs.map((o) => ({ name: o })),
      node: [{ op_type: g.op, name: `${g.op.toLowerCase()}_node`, input: inputs, output: outs, attribute: Object.entries(g.attrs ?? {}).map(([k, v]) => attribute(k, v)) }],
    },
  });
  return M.encode(msg).finish();
}

/** Loads like loadOnnxModel does (decode, prepare, support check) and returns an executor; the caller disposes it. */
function load(g: Graph): OnnxExecutor {
  const def = decodeOnnxModel(model(g), null);
  const pg = prepareGraph(def, 'test.onnx');
  checkSupported(def.graph, def.opset, 'test.onnx', pg.check);
  return new OnnxExecutor(pg);
}

interface Out { shape: number[]; data: number[] }
/** Runs the graph on x, fed plain (ONNX layout) or channels-last; outputs in ONNX layout. */
function run(g: Graph, x: number[], cl = false): Out[] {
  const exec = load(g);
  try {
    return tf.tidy(() => {
      const t = tf.tensor(x, g.x);
      const feed = cl ? channelsLast(tf.transpose(t, [0, ...g.x.slice(2).map((_, i) => i + 2), 1])) : plain(t);
      const names = Array.from({ length: g.outputs ?? 1 }, (_, i) => `y${i}`);
      const r = exec.run({ x: feed }, names);
      return names.map((n) => { const y = toPlain(r[n]); return { shape: y.shape, data: Array.from(y.dataSync()) }; });
    });
  } finally { exec.dispose(); }
}

/** Gradient of Σ y·w (w a fixed pattern) with respect to x. */
function gradient(g: Graph, x: number[]): number[] {
  const exec = load(g);
  try {
    return tf.tidy(() => Array.from(tf.grad((xx: tf.Tensor) => {
      const y = toPlain(exec.run({ x: plain(xx) }, ['y0']).y0);
      return tf.sum(tf.mul(y, tf.add(tf.mul(tf.range(0, y.size).reshape(y.shape), 0.01), 0.5)));
    })(tf.tensor(x, g.x)).dataSync()));
  } finally { exec.dispose(); }
}

const close = (got: Out, want: Out, what: string, tol = 1e-5) => {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  got.data.forEach((v, i) => assert.ok(Math.abs(v - want.data[i]) <= tol * Math.max(1, Math.abs(want.data[i])), `${what}[${i}]: ${v} vs ${want.data[i]}`));
};
const closeArr = (got: number[], want: number[], what: string, tol = 1e-5) => close({ shape: [got.length], data: got }, { shape: [want.length], data: want }, what, tol);

/** Both layouts give `want`. */
function expectBoth(g: Graph, x: number[], want: Out | Out[], what: string, tol = 1e-5): void {
  const ws = Array.isArray(want) ? want : [want];
  for (const cl of [false, true]) run(g, x, cl).forEach((o, i) => close(o, ws[i], `${what}${cl ? ' (channels-last)' : ''} output ${i}`, tol));
}

const X4 = [2, 3, 4, 5];
const seq = (n: number, f = (i: number) => Math.sin(i * 1.7) * 2 + 0.25) => Array.from({ length: n }, (_, i) => f(i));
const x4 = seq(120);

/** Plain-JS reduction over `axes` of a row-major array (the oracle for Reduce*). */
function jsReduce(data: number[], shape: number[], axes: number[], keep: boolean, init: number, step: (acc: number, v: number) => number, fin: (acc: number, n: number) => number): Out {
  const r = shape.length;
  const outShape = shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const acc = new Array(outShape.reduce((a, b) => a * b, 1)).fill(init);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  const oStrides = outShape.map((_, a) => outShape.slice(a + 1).reduce((x, y) => x * y, 1));
  data.forEach((v, i) => {
    let o = 0;
    for (let a = 0; a < r; a++) if (!axes.includes(a)) o += Math.floor(i / strides[a]) % shape[a] * oStrides[a];
    acc[o] = step(acc[o], v);
  });
  const n = axes.reduce((m, a) => m * shape[a], 1);
  return { shape: keep ? outShape : shape.filter((_, a) => !axes.includes(a)), data: acc.map((v) => fin(v, n)) };
}

const REDUCERS: Record<string, [number, (a: number, v: number) => number, (a: number, n: number) => number]> = {
  ReduceMean: [0, (a, v) => a + v, (a, n) => a / n],
  ReduceMax: [-Infinity, (a, v) => Math.max(a, v), (a) => a],
  ReduceMin: [Infinity, (a, v) => Math.min(a, v), (a) => a],
  ReduceSum: [0, (a, v) => a + v, (a) => a],
  ReduceProd: [1, (a, v) => a * v, (a) => a],
  ReduceSumSquare: [0, (a, v) => a + v * v, (a) => a],
  ReduceL1: [0, (a, v) => a + Math.abs(v), (a) => a],
  ReduceL2: [0, (a, v) => a + v * v, (a) => Math.sqrt(a)],
  ReduceLogSum: [0, (a, v) => a + Math.abs(v), (a) => Math.log(a)],
  ReduceLogSumExp: [0, (a, v) => a + Math.exp(v), (a) => Math.log(a)],
};

test('opset 18 Reduce*: axes as an input (keepdims, negative axes, noop_with_empty_axes) match plain-JS reductions and the opset-17 form', async () => {
  await initBackend('auto');
  const before = tf.memory().numTensors;
  let cases = 0;
  for (const [op, [init, step, fin]] of Object.entries(REDUCERS)) {
    // ReduceLogSum needs positive inputs; ReduceProd small ones.
    const x = op === 'ReduceLogSum' ? x4.map(Math.abs) : op === 'ReduceProd' ? x4.map((v) => 1 + v / 10) : x4;
    for (const [axes, keep] of [[[1], 1], [[2, -1], 0], [[0, 3], 1], [[-3], 0]] as [number[], number][]) {
      const norm = axes.map((a) => (a < 0 ? a + 4 : a));
      const want = jsReduce(x, X4, norm, keep === 1, init, step, fin);
      expectBoth({ op, opset: 18, x: X4, attrs: { keepdims: keep }, consts: [axes] }, x, want, `${op} axes [${axes}] keepdims ${keep}`, 1e-4);
      // ReduceSum already took axes as an input at 13; the others as an attribute up to 17.
      const old: Graph = op === 'ReduceSum' ? { op, opset: 13, x: X4, attrs: { keepdims: keep }, consts: [axes] } : { op, opset: 17, x: X4, attrs: { keepdims: keep, axes } };
      close(run(old, x)[0], run({ op, opset: 18, x: X4, attrs: { keepdims: keep }, consts: [axes] }, x)[0], `${op} opset 18 vs the older form`, 1e-6);
      cases++;
    }
    // No axes: every axis, unless noop_with_empty_axes, which makes it the identity.
    expectBoth({ op, opset: 18, x: X4, attrs: { keepdims: 0 } }, x, jsReduce(x, X4, [0, 1, 2, 3], false, init, step, fin), `${op} over all axes`, 1e-4);
    expectBoth({ op, opset: 18, x: X4, attrs: { noop_with_empty_axes: 1 }, consts: [null] }, x, { shape: X4, data: x }, `${op} noop_with_empty_axes`);
  }
  assert.equal(cases, 40);
  // Input gradient through an opset-18 ReduceMean and ReduceL2 equals the opset-17 one.
  for (const op of ['ReduceMean', 'ReduceL2', 'ReduceMax']) {
    const g18 = gradient({ op, opset: 18, x: X4, attrs: { keepdims: 0 }, consts: [[2, 3]] }, x4);
    closeArr(g18, gradient({ op, opset: 17, x: X4, attrs: { keepdims: 0, axes: [2, 3] } }, x4), `${op} gradient`);
    assert.ok(g18.some((v) => v !== 0), `${op}: a non-zero gradient`);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
});

test('opset 18 Pad with an axes input, and opset 19 wrap mode', async () => {
  await initBackend('auto');
  const X = [1, 2, 3, 3];
  const x = seq(18, (i) => i);
  // Pads only H and W (begin h, begin w, end h, end w) = the opset-17 full pads vector.
  for (const mode of ['constant', 'reflect', 'edge']) {
    const g18: Graph = { op: 'Pad', opset: 18, x: X, attrs: { mode }, consts: [[1, 2, 0, 1], null, [2, -1]] };
    const want = run({ op: 'Pad', opset: 17, x: X, attrs: { mode }, consts: [[0, 0, 1, 2, 0, 0, 0, 1]] }, x)[0];
    assert.deepEqual(want.shape, [1, 2, 4, 6]);
    expectBoth(g18, x, want, `Pad ${mode} axes [2,-1]`);
    closeArr(gradient(g18, x), gradient({ op: 'Pad', opset: 17, x: X, attrs: { mode }, consts: [[0, 0, 1, 2, 0, 0, 0, 1]] }, x), `Pad ${mode} gradient`);
  }
  // wrap (opset 19), worked out by hand: W row [0,1,2] with pads (2, 1) → [1,2,0,1,2,0]; H rows r0,r1,r2 with (1, 0) → r2,r0,r1,r2.
  const g19: Graph = { op: 'Pad', opset: 19, x: [1, 1, 3, 3], attrs: { mode: 'wrap' }, consts: [[1, 2, 0, 1], null, [2, 3]] };
  const rows = [[0, 1, 2], [3, 4, 5], [6, 7, 8]].map(([a, b, c]) => [b, c, a, b, c, a]);
  expectBoth(g19, seq(9, (i) => i), { shape: [1, 1, 4, 6], data: [rows[2], rows[0], rows[1], rows[2]].flat() }, 'Pad wrap');
});

test('opset 18 Split with num_outputs (uneven: the last part is smaller) equals the opset-17 split attribute', async () => {
  await initBackend('auto');
  const X = [1, 7, 2, 2];
  const x = seq(28, (i) => i);
  const want = [0, 3, 6].map((c0) => {
    const n = Math.min(3, 7 - c0);
    return { shape: [1, n, 2, 2], data: x.slice(c0 * 4, (c0 + n) * 4) };
  });
  expectBoth({ op: 'Split', opset: 18, x: X, attrs: { axis: 1, num_outputs: 3 }, outputs: 3 }, x, want, 'Split num_outputs 3');
  run({ op: 'Split', opset: 17, x: X, attrs: { axis: 1 }, consts: [[3, 3, 1]], outputs: 3 }, x).forEach((o, i) => close(o, want[i], `opset 17 split ${i}`));
  // With a split input at 18 (and a negative axis).
  expectBoth({ op: 'Split', opset: 18, x: X, attrs: { axis: -3 }, consts: [[3, 3, 1]], outputs: 3 }, x, want, 'Split input');
});

/**
 * The ONNX Resize definition taken literally for one axis: the n = |coefficients| integers nearest to the source
 * coordinate (ties to the smaller), read from the edge-padded input, weighted by the (antialiased) kernel.
 */
function specResize1d(row: number[], scale: number, outLen: number, kind: 'linear' | 'cubic', antialias: boolean): number[] {
  const A = -0.75;
  const kern = (d: number) => {
    d = Math.abs(d);
    if (kind === 'linear') return Math.max(0, 1 - d);
    return d <= 1 ? (A + 2) * d ** 3 - (A + 3) * d ** 2 + 1 : d < 2 ? A * d ** 3 - 5 * A * d ** 2 + 8 * A * d - 4 * A : 0;
  };
  const s = antialias ? Math.min(scale, 1) : 1;
  return Array.from({ length: outLen }, (_, o) => {
    const x = (o + 0.5) / scale - 0.5; // half_pixel
    const ratio = Number.isInteger(x) ? 1 : x - Math.floor(x);
    const start = Math.floor(-(kind === 'linear' ? 1 : 2) / s) + 1;
    const coeffs: number[] = [];
    for (let i = start; i < 2 - start; i++) coeffs.push(kern(s * (i - ratio)));
    const sum = coeffs.reduce((a, b) => a + b, 0);
    const n = coeffs.length, pad = Math.ceil(n / 2);
    const padded = [...Array(pad).fill(row[0]), ...row, ...Array(pad).fill(row[row.length - 1])];
    const idx = padded.map((_, i) => i).sort((a, b) => Math.abs(x + pad - a) - Math.abs(x + pad - b) || a - b).slice(0, n).sort((a, b) => a - b);
    return idx.reduce((acc, i, k) => acc + (coeffs[k] / sum) * padded[i], 0);
  });
}

test('opset 18/19 Resize: axes, keep_aspect_ratio_policy, antialias and half_pixel_symmetric', async () => {
  await initBackend('auto');
  // axes: scales for H, W only = the full opset-17 scales.
  const X = [1, 2, 4, 6];
  const x = seq(48);
  const scalesInit = (v: number[]) => ({ scales: { dims: [v.length], data: v } });
  for (const mode of ['nearest', 'linear', 'cubic']) {
    const want = run({ op: 'Resize', opset: 17, x: X, attrs: { mode }, consts: [null], floatConsts: scalesInit([1, 1, 1.5, 0.5]) }, x)[0];
    expectBoth({ op: 'Resize', opset: 18, x: X, attrs: { mode, axes: [2, 3] }, consts: [null], floatConsts: scalesInit([1.5, 0.5]) }, x, want, `Resize ${mode} axes`);
  }
  // keep_aspect_ratio_policy with sizes [3, 4] on 4×8: per-axis scales 0.75 and 0.5; not_larger uses 0.5 for both
  // (→ 2×4), not_smaller 0.75 (→ 3×6): the same as opset 17 with those scales.
  const X8 = [1, 1, 4, 8];
  const x8 = seq(32);
  for (const [policy, s, shape] of [['not_larger', 0.5, [1, 1, 2, 4]], ['not_smaller', 0.75, [1, 1, 3, 6]]] as const) {
    const want = run({ op: 'Resize', opset: 17, x: X8, attrs: { mode: 'linear' }, consts: [null], floatConsts: scalesInit([1, 1, s, s]) }, x8)[0];
    assert.deepEqual(want.shape, shape);
    const sizes = { op: 'Resize', opset: 18, x: X8, attrs: { mode: 'linear', keep_aspect_ratio_policy: policy } } as Graph;
    // Inputs: x, roi '', scales '', sizes.
    expectBoth({ ...sizes, attrs: { ...sizes.attrs, axes: [-2, -1] }, consts: [null, null, [3, 4]] }, x8, want, `Resize ${policy} with axes`);
    // Without axes the policy spans every axis, N and C (scale 1) included: not_smaller then keeps the input size.
    expectBoth({ ...sizes, consts: [null, null, [1, 1, 3, 4]] }, x8, policy === 'not_larger' ? want : { shape: X8, data: x8 }, `Resize ${policy}`);
  }
  // Sizes are rounded half up: [3, 3] not_larger → scale 0.375 → 4·0.375 = 1.5 → 2 rows, 3 columns.
  const half = run({ op: 'Resize', opset: 18, x: X8, attrs: { mode: 'linear', keep_aspect_ratio_policy: 'not_larger', axes: [2, 3] }, consts: [null, null, [3, 3]] }, x8)[0];
  assert.deepEqual(half.shape, [1, 1, 2, 3]);
  // antialias, linear, scale 0.6 on the 4×4 ramp 1…16, by hand: columns: output 0 sits at source 1/3 with taps −1…2
  // weighted (0.2, 0.8, 0.6, 0)/1.6; output 1 at source 2 with taps 0…3 weighted (0, 0.4, 1, 0.4)/1.8. Rows alike.
  const ramp = seq(16, (i) => i + 1);
  const aa: Graph = { op: 'Resize', opset: 18, x: [1, 1, 4, 4], attrs: { mode: 'linear', antialias: 1 }, consts: [null], floatConsts: scalesInit([1, 1, 0.6, 0.6]) };
  expectBoth(aa, ramp, { shape: [1, 1, 2, 2], data: [2.875, 4.5, 9.375, 11] }, 'Resize linear antialias');
  // The same filter along W only, linear and cubic, against the definition taken literally (scale 0.25: 8 and 16 taps).
  const row = seq(20, (i) => Math.cos(i * 0.9) * 3);
  for (const kind of ['linear', 'cubic'] as const) {
    const g: Graph = { op: 'Resize', opset: 18, x: [1, 1, 1, 20], attrs: { mode: kind, antialias: 1 }, consts: [null], floatConsts: scalesInit([1, 1, 1, 0.25]) };
    const got = run(g, row)[0];
    close(got, { shape: [1, 1, 1, 5], data: specResize1d(row, 0.25, 5, kind, true) }, `Resize ${kind} antialias vs the definition`);
    // Upscaling is unaffected by antialias.
    const up: Graph = { ...g, floatConsts: scalesInit([1, 1, 1, 1.5]) };
    close(run(up, row)[0], run({ ...up, attrs: { mode: kind } }, row)[0], `Resize ${kind} antialias when upscaling`);
    assert.ok(gradient(g, row).every(Number.isFinite), `${kind} antialias gradient`);
  }
  // half_pixel_symmetric (opset 19), [1,2,3,4] × 0.6 → 2 values: offset 2·(1 − 2/2.4) = 1/3, sources 2/3 and 7/3.
  expectBoth({ op: 'Resize', opset: 19, x: [1, 1, 1, 4], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, consts: [null], floatConsts: scalesInit([1, 1, 1, 0.6]) },
    [1, 2, 3, 4], { shape: [1, 1, 1, 2], data: [5 / 3, 10 / 3] }, 'Resize half_pixel_symmetric');
});

test('GroupNormalization: opset 18 (scale and bias per group) and opset 21 (per channel), against plain JS', async () => {
  await initBackend('auto');
  const X = [2, 4, 3, 2];
  const x = seq(48, (i) => Math.sin(i * 0.77) * 3 + (i % 7));
  const G = 2, eps = 1e-3;
  const expected = (scale: (c: number) => number, bias: (c: number) => number): Out => {
    const y = new Array(48).fill(0);
    for (let n = 0; n < 2; n++) for (let g = 0; g < G; g++) {
      const idx: number[] = [];
      for (let c = g * 2; c < g * 2 + 2; c++) for (let s = 0; s < 6; s++) idx.push(n * 24 + c * 6 + s);
      const m = idx.reduce((a, i) => a + x[i], 0) / idx.length;
      const v = idx.reduce((a, i) => a + (x[i] - m) ** 2, 0) / idx.length;
      for (const i of idx) { const c = Math.floor(i / 6) % 4; y[i] = ((x[i] - m) / Math.sqrt(v + eps)) * scale(c) + bias(c); }
    }
    return { shape: X, data: y };
  };
  const g18: Graph = { op: 'GroupNormalization', opset: 18, x: X, attrs: { num_groups: G, epsilon: eps }, floatConsts: { s: { dims: [2], data: [1.5, -0.5] }, b: { dims: [2], data: [0.25, 1] } } };
  expectBoth(g18, x, expected((c) => [1.5, -0.5][c >> 1], (c) => [0.25, 1][c >> 1]), 'GroupNormalization-18', 1e-4);
  const g21: Graph = { ...g18, opset: 21, floatConsts: { s: { dims: [4], data: [1.5, -0.5, 2, 0.1] }, b: { dims: [4], data: [0.25, 1, -1, 0] } } };
  expectBoth(g21, x, expected((c) => [1.5, -0.5, 2, 0.1][c], (c) => [0.25, 1, -1, 0][c]), 'GroupNormalization-21', 1e-4);
  assert.ok(gradient(g21, x).every(Number.isFinite), 'GroupNormalization gradient');
  // Opset-18 sizes at opset 21 are an error that says why.
  assert.throws(() => run({ ...g18, opset: 21 }, x), /GroupNormalization .*opset 21.*need 4 values/);
});

test('opset 19 AveragePool with dilations, opset 18 Mish and opset 20 Gelu, against hand computation', async () => {
  await initBackend('auto');
  // 4×4 ramp, 2×2 kernel dilated by 2 → each output averages x[i][j], x[i][j+2], x[i+2][j], x[i+2][j+2].
  const ramp = seq(16, (i) => i);
  const at = (i: number, j: number) => (ramp[i * 4 + j] + ramp[i * 4 + j + 2] + ramp[(i + 2) * 4 + j] + ramp[(i + 2) * 4 + j + 2]) / 4;
  expectBoth({ op: 'AveragePool', opset: 19, x: [1, 1, 4, 4], attrs: { kernel_shape: [2, 2], dilations: [2, 2] } }, ramp,
    { shape: [1, 1, 2, 2], data: [at(0, 0), at(0, 1), at(1, 0), at(1, 1)] }, 'AveragePool dilations');
  // Gelu: x·Φ(x), Φ from erf by its Taylor series (exact to ~1e-12 for |x| < 3); tanh form in closed form.
  const erf = (z: number) => { let s = 0, term = z; for (let n = 0; n < 60; n++) { s += term / (2 * n + 1); term *= (-z * z) / (n + 1); } return (2 / Math.sqrt(Math.PI)) * s; };
  const x = seq(24, (i) => (i - 12) / 4);
  const X = [1, 2, 3, 4];
  expectBoth({ op: 'Gelu', opset: 20, x: X }, x, { shape: X, data: x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))) }, 'Gelu', 1e-5);
  expectBoth({ op: 'Gelu', opset: 20, x: X, attrs: { approximate: 'tanh' } }, x,
    { shape: X, data: x.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))) }, 'Gelu tanh', 1e-5);
  expectBoth({ op: 'Mish', opset: 18, x: X }, x, { shape: X, data: x.map((v) => v * Math.tanh(Math.log1p(Math.exp(v)))) }, 'Mish (new in opset 18)', 1e-5);
  // d/dx Gelu(x) = Φ(x) + x·φ(x).
  const grad = gradient({ op: 'Gelu', opset: 20, x: X }, x);
  closeArr(grad, x.map((v, i) => (0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-v * v / 2)) / Math.sqrt(2 * Math.PI)) * (0.5 + 0.01 * i)), 'Gelu gradient', 1e-4);
});

test('a torch-style shape-arithmetic chain gives the same result at opsets 17, 19, 20 and 21 (types-only revisions)', async () => {
  await initBackend('auto');
  const M = onnxSchema().lookupType('onnx.ModelProto');
  const nd = (op: string, input: string[], output: string, attrs: Record<string, Attr> = {}) =>
    ({ op_type: op, name: output, input, output: [output], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
  const X = [2, 3, 4, 5];
  const x = seq(120);
  // y = Flatten(Squeeze(Unsqueeze(Transpose(Cast(Reshape(x, [N, -1])))))) + ConstantOfShape(Shape(·), 1), N from Shape→Gather.
  const nodes = [
    nd('Shape', ['x'], 's'), nd('Gather', ['s', 'zero'], 'n', { axis: 0 }), nd('Unsqueeze', ['n', 'ax0'], 'nu'),
    nd('Constant', [], 'm1', { value_ints: [-1] }), nd('Concat', ['nu', 'm1'], 'shape', { axis: 0 }), nd('Reshape', ['x', 'shape'], 'r'),
    nd('Cast', ['r'], 'c', { to: 1 }), nd('Transpose', ['c'], 't', { perm: [1, 0] }), nd('Unsqueeze', ['t', 'ax0'], 'u'),
    nd('Squeeze', ['u', 'ax0'], 'q'), nd('Identity', ['q'], 'i'), nd('Flatten', ['i'], 'f', { axis: 1 }),
    nd('Shape', ['f'], 's2'), { ...nd('ConstantOfShape', ['s2'], 'ones'), attribute: [{ name: 'value', type: 4, t: { dims: [1], data_type: 1, float_data: [1] } }] },
    nd('Add', ['f', 'ones'], 'y0'), nd('Shape', ['x'], 'y1', { start: 1, end: -1 }), nd('Size', ['x'], 'y2'),
  ];
  const inits = [{ name: 'zero', dims: [], data_type: 7, int64_data: [0] }, { name: 'ax0', dims: [1], data_type: 7, int64_data: [0] }];
  const want = Array.from({ length: 120 }, (_, k) => x[(k % 2) * 60 + Math.floor(k / 2)] + 1); // y[j][b] = x[b][j] + 1
  for (const opset of [17, 19, 20, 21]) {
    const bytes = M.encode(M.fromObject({
      ir_version: 8, opset_import: [{ domain: '', version: opset }],
      graph: {
        name: 'g', node: nodes, initializer: inits, output: ['y0', 'y1', 'y2'].map((name) => ({ name })),
        input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: X.map((d) => ({ dim_value: d })) } } } }],
      },
    })).finish();
    const def = decodeOnnxModel(bytes, null);
    const pg = prepareGraph(def, 'chain.onnx');
    checkSupported(def.graph, def.opset, 'chain.onnx', pg.check);
    const exec = new OnnxExecutor(pg);
    try {
      tf.tidy(() => {
        const r = exec.run({ x: plain(tf.tensor(x, X)) }, ['y0', 'y1', 'y2']);
        const y = toPlain(r.y0);
        close({ shape: y.shape, data: Array.from(y.dataSync()) }, { shape: [60, 2], data: want }, `opset ${opset} chain`);
        assert.deepEqual(Array.from(toPlain(r.y1).dataSync()), [3, 4], `opset ${opset} Shape start/end`);
        assert.deepEqual(Array.from(toPlain(r.y2).dataSync()), [120], `opset ${opset} Size`);
      });
    } finally { exec.dispose(); }
  }
});

test('what stays unsupported at opsets 18–22 fails before running, naming the operator, node and opset', async () => {
  await initBackend('auto');
  const fails = (g: Graph, ...patterns: RegExp[]) => {
    try { load(g).dispose(); } catch (e) {
      assert.ok(e instanceof EngineError, `an EngineError, not ${(e as Error).stack}`);
      assert.equal(e.code, 'MODEL_UNSUPPORTED', e.message);
      for (const p of patterns) assert.match(e.message, p);
      return;
    }
    assert.fail(`${g.op} at opset ${g.opset} loaded`);
  };
  fails({ op: 'Col2Im', opset: 18, x: [1, 4, 4], consts: [[3, 3], [2, 2]] }, /Col2Im/, /opset 18/, /col2im_node/, /1 node/);
  fails({ op: 'CenterCropPad', opset: 18, x: [1, 1, 4, 4], consts: [[2, 2]] }, /CenterCropPad/, /opset 18/);
  fails({ op: 'DeformConv', opset: 19, x: [1, 1, 4, 4] }, /DeformConv/, /opset 19/);
  fails({ op: 'AffineGrid', opset: 20, x: [1, 2, 3] }, /AffineGrid/, /opset 20/);
  fails({ op: 'LpPool', opset: 18, x: [1, 1, 4, 4], attrs: { kernel_shape: [2, 2], ceil_mode: 1 } }, /LpPool/, /opset 18/);
  fails({ op: 'Resize', opset: 19, x: [1, 1, 4, 4], attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' }, consts: [null] },
    /node 'resize_node' \(Resize, opset 19\)/, /tf_crop_and_resize/);
  fails({ op: 'Relu', opset: 22, x: [1, 1, 2, 2] }, /opset 22 is not supported/, /7–21|1–21/);
  // A float8 weight (opset 19's types) is named, not misread.
  const M = onnxSchema().lookupType('onnx.ModelProto');
  const bytes = M.encode(M.fromObject({
    ir_version: 9, opset_import: [{ domain: '', version: 19 }],
    graph: { name: 'g', node: [{ op_type: 'Identity', input: ['w'], output: ['y'] }], initializer: [{ name: 'w', dims: [2], data_type: 17, raw_data: Buffer.from([1, 2]) }], output: [{ name: 'y' }] },
  })).finish();
  assert.throws(() => decodeOnnxModel(bytes, null), (e: unknown) => e instanceof EngineError && e.code === 'MODEL_UNSUPPORTED' && /float8e4m3fn/.test(e.message));
});
