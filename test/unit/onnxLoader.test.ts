// ONNX loading (issue #4): the bundled schema is the official file, unsupported operators are named before anything
// runs, broken graphs and truncated or randomly corrupted copies of a real model give a clean EngineError (or load
// correctly), and a graph with comparisons and Where differentiates and introspects as the engine expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { EngineError } from '../../src/engine/errors';
import { loadOnnxModel } from '../../src/engine/model/onnx/onnxModel';
import { ONNX_PROTO, onnxSchema } from '../../src/engine/model/onnx/onnxSchema';

const MODELS = '../shared/reference/models';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-onnx-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// --- a tiny ONNX writer (the official schema, protobufjs encode) for hand-made graphs ---
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const node = (op: string, name: string, inputs: string[], outputs: string[], attribute: object[] = []) => ({ op_type: op, name, input: inputs, output: outputs, attribute });
const floats = (name: string, dims: number[], data: number[]) => ({ name, dims, data_type: 1, float_data: data });
const vinfo = (name: string, dims: (number | string)[]) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } } });
function writeModel(file: string, nodes: object[], inits: object[], outputs: string[], opset = 13): string {
  const M = onnxSchema().lookupType('onnx.ModelProto');
  const msg = M.fromObject({
    ir_version: 7, producer_name: 'cnn-lens-test', opset_import: [{ domain: '', version: opset }],
    graph: { name: 'g', node: nodes, initializer: inits, input: [vinfo('x', ['N', 3, 6, 6])], output: outputs.map((o) => vinfo(o, [])) },
  });
  const p = path.join(tmp, file);
  fs.writeFileSync(p, M.encode(msg).finish());
  return p;
}
const W = floats('W', [4, 3, 1, 1], Array.from({ length: 12 }, (_, i) => ((i * 7) % 5) / 5 - 0.4));

async function rejects(p: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<string> {
  try { await p; } catch (e) {
    assert.ok(e instanceof EngineError, `an EngineError, not ${(e as Error).stack}`);
    assert.equal(e.code, code, e.message);
    for (const re of patterns) assert.match(e.message, re);
    return e.message;
  }
  throw new Error('expected an error');
}

test('the bundled schema string is the committed official onnx.proto', () => {
  assert.equal(ONNX_PROTO, fs.readFileSync('src/engine/model/onnx/onnx.proto', 'utf8'));
  assert.ok(onnxSchema().lookupType('onnx.ModelProto').fields.graph, 'ModelProto.graph');
});

test('an unsupported operator is named with its node, the opset and how many nodes use it, before running', async () => {
  await initBackend('auto');
  const before = tf.memory().numTensors;
  const p = writeModel('unsupported.onnx', [
    node('Conv', 'conv', ['x', 'W'], ['c']),
    node('FooBar', 'foo1', ['c'], ['f1']), node('FooBar', 'foo2', ['f1'], ['f2']),
    node('GlobalAveragePool', 'gap', ['f2'], ['g']), node('Flatten', 'flat', ['g'], ['y']),
  ], [W], ['y'], 12);
  const msg = await rejects(loadOnnxModel(p), 'MODEL_UNSUPPORTED', /FooBar/, /2 nodes/, /first 'foo1'/, /opset 12/);
  console.log(`# ${msg.slice(0, 160)}…`);
  assert.equal(tf.memory().numTensors, before, 'nothing was allocated');
  await rejects(loadOnnxModel(writeModel('oldconv.onnx', [node('Conv', 'conv', ['x', 'W'], ['y'])], [W], ['y'], 22)), 'MODEL_UNSUPPORTED', /opset 22/);
});

test('broken graphs: cycles, dangling inputs, missing files, non-ONNX bytes', async () => {
  await rejects(loadOnnxModel(writeModel('cycle.onnx', [node('Relu', 'a', ['b_out'], ['a_out']), node('Conv', 'b', ['a_out', 'W'], ['b_out'])], [W], ['b_out'])),
    'MODEL_CORRUPT', /cycle/);
  await rejects(loadOnnxModel(writeModel('dangling.onnx', [node('Conv', 'conv', ['x', 'W2'], ['y'])], [W], ['y'])), 'MODEL_CORRUPT', /W2/);
  await rejects(loadOnnxModel(path.join(tmp, 'nope.onnx')), 'MODEL_NOT_FOUND');
  const junk = path.join(tmp, 'junk.onnx');
  fs.writeFileSync(junk, 'this is not a protobuf at all, just text\n'.repeat(20));
  await rejects(loadOnnxModel(junk), 'MODEL_CORRUPT');
  // External data that is missing or shorter than declared.
  const dir = path.join(tmp, 'ext');
  fs.mkdirSync(dir);
  fs.copyFileSync(`${MODELS}/external_data/mobilenet_v1_025.onnx`, path.join(dir, 'm.onnx'));
  await rejects(loadOnnxModel(path.join(dir, 'm.onnx')), 'MODEL_SHARD_MISSING', /mobilenet_v1_025\.onnx\.data/);
  const data = fs.readFileSync(`${MODELS}/external_data/mobilenet_v1_025.onnx.data`);
  fs.writeFileSync(path.join(dir, 'mobilenet_v1_025.onnx.data'), data.subarray(0, data.length - 1000));
  await rejects(loadOnnxModel(path.join(dir, 'm.onnx')), 'MODEL_SHARD_TRUNCATED');
});

test('comparisons and Where differentiate; layers are introspected NHWC-style; logits are the Softmax input', async () => {
  await initBackend('auto');
  const p = writeModel('where.onnx', [
    node('Conv', 'conv', ['x', 'W'], ['c'], [ints('kernel_shape', [1, 1])]),
    node('Constant', 'zero', [], ['z'], [{ name: 'value', type: 4, t: floats('', [], [0]) }]),
    node('Constant', 'slope', [], ['s'], [{ name: 'value', type: 4, t: floats('', [], [0.1]) }]),
    node('Greater', 'pos', ['c', 'z'], ['m']), node('Mul', 'neg', ['c', 's'], ['cs']),
    node('Where', 'leaky', ['m', 'c', 'cs'], ['a']),
    node('GlobalAveragePool', 'gap', ['a'], ['g']), node('Flatten', 'flat', ['g'], ['scores']),
    node('Softmax', 'prob', ['scores'], ['y'], [{ name: 'axis', type: 2, i: 1 }]),
  ], [W], ['y']);
  // x is declared [N,3,6,6].
  const model = await loadOnnxModel(p);
  try {
    assert.equal(model.info.scoreLayer, 'scores');
    assert.equal(model.info.numClasses, 4);
    assert.deepEqual(model.info.layers.find((l) => l.name === 'a')!.outputShape, [6, 6, 4], 'NHWC-style [H,W,C]');
    assert.deepEqual(model.info.layers.map((l) => l.type), ['Conv', 'Greater', 'Mul', 'Where', 'GlobalAveragePool', 'Flatten', 'Softmax']);
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const score = (xx: tf.Tensor) => tf.sum(tf.slice(model.logits(xx as tf.Tensor4D), [1, 2], [1, 1]));
    const g = tf.grad(score)(x);
    const gv = await g.data();
    // Central differences on a few entries (the kink at 0 is avoided by the random input).
    const xv = await x.data();
    for (const i of [0, 17, 5 * 36 + 4, 108 + 50, 215]) {
      const e = 1e-2;
      const at = (d: number) => tf.tidy(() => { const v = Float32Array.from(xv); v[i] += d; return score(tf.tensor4d(v, x.shape)).dataSync()[0]; });
      const fd = (at(e) - at(-e)) / (2 * e);
      assert.ok(Math.abs(fd - gv[i]) < 1e-3, `∂/∂x[${i}]: autodiff ${gv[i]}, finite difference ${fd}`);
    }
    tf.dispose([x, g]);
  } finally { model.dispose(); }
});

/** Deterministic PRNG so a failing variant can be reproduced from its index. */
function rng(seed: number) { let s = seed >>> 0; return () => ((s = (Math.imul(s ^ (s >>> 15), 2246822519) + 0x6d2b79f5) >>> 0) / 2 ** 32); }

test('truncated and randomly corrupted copies of a real model load cleanly or fail with an EngineError', async () => {
  await initBackend('auto');
  const before = tf.memory().numTensors;
  const outcomes: Record<string, number> = {};
  const t0 = Date.now();
  const tryLoad = async (file: string, label: string) => {
    let m;
    try {
      m = await loadOnnxModel(file);
    } catch (e) {
      assert.ok(e instanceof EngineError, `${label}: not an EngineError: ${(e as Error).stack}`);
      outcomes[e.code] = (outcomes[e.code] ?? 0) + 1;
      return;
    }
    try {
      const y = tf.tidy(() => m.logits(tf.zeros([1, ...m.info.inputShape]) as tf.Tensor4D));
      assert.equal(y.shape[1], m.info.numClasses, label);
      y.dispose();
      outcomes.loaded = (outcomes.loaded ?? 0) + 1;
    } finally { m.dispose(); }
  };
  // 1. The full 1.9 MB model cut at 60 places.
  const full = fs.readFileSync(`${MODELS}/mobilenet_v1_025.onnx`);
  const cut = path.join(tmp, 'cut.onnx');
  for (let k = 0; k < 60; k++) {
    const n = Math.floor((k / 60) * full.length) + (k % 7);
    fs.writeFileSync(cut, full.subarray(0, n));
    await tryLoad(cut, `truncated to ${n} bytes`);
  }
  // 2. The external-data graph (35 kB, weights beside it) with 1–12 random bytes overwritten, 300 variants.
  const dir = path.join(tmp, 'fuzz');
  fs.mkdirSync(dir);
  fs.symlinkSync(path.resolve(`${MODELS}/external_data/mobilenet_v1_025.onnx.data`), path.join(dir, 'mobilenet_v1_025.onnx.data'));
  const graph = fs.readFileSync(`${MODELS}/external_data/mobilenet_v1_025.onnx`);
  const file = path.join(dir, 'm.onnx');
  for (let k = 0; k < 300; k++) {
    const r = rng(1000 + k);
    const b = Buffer.from(graph);
    const flips = 1 + Math.floor(r() * 12);
    for (let j = 0; j < flips; j++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    // Every third variant is also cut short.
    fs.writeFileSync(file, k % 3 === 2 ? b.subarray(0, Math.floor(r() * b.length)) : b);
    await tryLoad(file, `variant ${k}`);
  }
  console.log(`# fuzz outcomes (360 variants, ${Date.now() - t0} ms): ${JSON.stringify(outcomes)}`);
  assert.equal(Object.values(outcomes).reduce((a, b) => a + b, 0), 360);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked by failed loads');
});
