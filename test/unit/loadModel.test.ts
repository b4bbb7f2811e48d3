// Model loading: the shared MobileNet (layers format, BatchNorm folded) reproduces the reference logits; input
// gradients of the whole network agree between wasm and cpu and with finite differences; broken models get
// specific errors (issue #2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { loadModel } from '../../src/engine/model/loadModel';

const MOBILENET = '../shared/models/mobilenet_v1_025/model.json';
const CHECK = '../shared/reference/model_check';
const f32 = (p: string) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
/** The reference input is NCHW [1,3,224,224]; the engine is NHWC. */
const nchwToNhwc = (v: Float32Array) => tf.tidy(() => tf.transpose(tf.tensor4d(v, [1, 3, 224, 224]), [0, 2, 3, 1]) as tf.Tensor4D);

test('MobileNet loads with BatchNorm folded and introspection', async () => {
  await initBackend('auto');
  const { model } = await loadModel({ path: MOBILENET });
  try {
    const i = model.info;
    assert.equal(i.format, 'tfjs-layers');
    assert.deepEqual(i.inputShape, [224, 224, 3]);
    assert.equal(i.numClasses, 1000);
    assert.equal(i.scoreLayer, 'conv_preds', 'logits are the input of the final softmax');
    assert.equal(i.batchNormFolded, true);
    assert.equal(i.layers.length, 88);
    assert.deepEqual(i.layers.find((l) => l.name === 'conv_pw_13_relu')!.outputShape, [7, 7, 256]);
    assert.equal(i.parameters, 475544);
  } finally { model.dispose(); }
});

for (const backend of ['wasm', 'cpu']) {
  test(`folded MobileNet logits match the reference on ${backend}`, async () => {
    await initBackend('auto');
    await tf.setBackend(backend);
    try {
      const { model } = await loadModel({ path: MOBILENET });
      const before = tf.memory().numTensors;
      for (const name of ['random_uniform_pm1', 'robin']) {
        const inputFile = name === 'robin' ? '../shared/reference/torchray/saliency/robin/input.f32' : `${CHECK}/${name}.input.f32`;
        if (!fs.existsSync(inputFile)) continue;
        const x = nchwToNhwc(f32(inputFile));
        const logits = tf.tidy(() => model.logits(x));
        const got = await logits.data();
        tf.dispose([x, logits]);
        const want = f32(`${CHECK}/${name}.logits_tfjs.f32`);
        let d = 0; for (let k = 0; k < 1000; k++) d = Math.max(d, Math.abs(got[k] - want[k]));
        assert.ok(d < 1e-4, `${name}: max |Δlogit| ${d}`);
      }
      // intermediate activations by original layer name, including names folded away
      const x = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
      const acts = tf.tidy(() => model.forward(x, ['conv_pw_13_relu', 'conv_pw_13_bn', 'logits']));
      assert.deepEqual(acts.conv_pw_13_relu.shape, [1, 7, 7, 256]);
      assert.deepEqual(acts.conv_pw_13_bn.shape, [1, 7, 7, 256]);
      assert.deepEqual(acts.logits.shape, [1, 1000]);
      tf.dispose([x, ...Object.values(acts)]);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      model.dispose();
    } finally { await tf.setBackend('wasm'); }
  });
}

test('every original layer name reads the same value as the tf.layers model, and can be overridden', async () => {
  await initBackend('auto');
  const { model } = await loadModel({ path: MOBILENET });
  const tfl = await import('@tensorflow/tfjs-layers');
  const { readModelFiles } = await import('../../src/engine/model/modelFiles');
  const lm = await tfl.loadLayersModel(tf.io.fromMemory(readModelFiles(MOBILENET).artifacts));
  const names = ['conv1', 'conv1_bn', 'conv1_relu', 'conv_dw_5', 'conv_dw_5_bn', 'conv_pw_13', 'conv_pw_13_bn', 'conv_pw_13_relu', 'global_average_pooling2d_1', 'conv_preds'];
  const x = nchwToNhwc(f32(`${CHECK}/random_uniform_pm1.input.f32`));
  const probe = tfl.model({ inputs: lm.inputs, outputs: names.map((n) => lm.getLayer(n).output as any) });
  const want = probe.predict(x) as tf.Tensor[];
  const got = model.forward(x, names);
  names.forEach((n, i) => {
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(got[n], want[i]))).dataSync()[0]);
    const scale = tf.tidy(() => tf.max(tf.abs(want[i])).dataSync()[0]);
    assert.ok(d <= 1e-4 * Math.max(1, scale), `${n}: max |Δ| ${d} (scale ${scale})`);
  });
  // Overriding any stage with its own value reproduces the logits; overriding changes them.
  const base = await model.logits(x).data();
  for (const n of ['conv_pw_13', 'conv_pw_13_bn', 'conv_pw_13_relu']) {
    const same = await model.forward(x, ['logits'], { [n]: got[n] }).logits.data();
    assert.ok(Math.max(...Array.from(same, (v, k) => Math.abs(v - base[k]))) < 1e-3, `override ${n} with itself`);
    const changed = await model.forward(x, ['logits'], { [n]: tf.mul(got[n], 0.5) }).logits.data();
    assert.ok(Math.max(...Array.from(changed, (v, k) => Math.abs(v - base[k]))) > 1e-2, `override ${n} changes logits`);
  }
  tf.dispose([x, ...want, ...Object.values(got)]);
  lm.dispose(); model.dispose();
});

test('whole-network input gradient: wasm vs cpu and vs finite differences', async () => {
  await initBackend('auto');
  const input = f32(`${CHECK}/random_uniform_pm1.input.f32`);
  const grads: Float32Array[] = [];
  let fd: { i: number; g: number }[] = [];
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const { model } = await loadModel({ path: MOBILENET });
    const x = nchwToNhwc(input);
    const score = (t: tf.Tensor) => tf.sum(tf.slice(model.logits(t as tf.Tensor4D), [0, 885], [1, 1]));
    const g = tf.tidy(() => tf.grad(score)(x));
    grads.push((await g.data()) as Float32Array);
    if (backend === 'cpu') {
      // central differences in float32 on a few of the largest-gradient pixels (a smooth direction around them)
      const gv = grads[1];
      const idx = Array.from(gv.keys()).sort((a, b) => Math.abs(gv[b]) - Math.abs(gv[a])).slice(0, 4);
      const eps = 1e-2;
      fd = idx.map((i) => {
        const v = tf.tidy(() => {
          const e = tf.oneHot([i], gv.length).reshape(x.shape).mul(eps);
          return tf.sub(score(tf.add(x, e)), score(tf.sub(x, e))).div(2 * eps);
        });
        const r = { i, g: v.dataSync()[0] };
        v.dispose();
        return r;
      });
    }
    tf.dispose([x, g]);
    model.dispose();
  }
  await tf.setBackend('wasm');
  const [w, c] = grads;
  let big = 0, num = 0, den = 0, dot = 0;
  for (let k = 0; k < w.length; k++) { big = Math.max(big, Math.abs(c[k])); num += (w[k] - c[k]) ** 2; den += c[k] ** 2; dot += w[k] * c[k]; }
  // ReLU6 kinks flip a few entries between backends (ENGINE_NOTES §3.3): compare as maps, not bit for bit.
  const relErr = Math.sqrt(num / den);
  const corr = dot / Math.sqrt(den * w.reduce((s, v) => s + v * v, 0));
  assert.ok(relErr < 0.05 && corr > 0.999, `wasm vs cpu gradient: relative L2 error ${relErr}, correlation ${corr}`);
  for (const { i, g } of fd) assert.ok(Math.abs(g - c[i]) < 0.05 * big + 0.1 * Math.abs(c[i]), `finite difference at ${i}: ${g} vs ${c[i]}`);
});

function tmpCopy(mutate: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-model-'));
  const src = path.dirname(MOBILENET);
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  mutate(dir);
  return dir;
}

test('broken models get specific errors', async () => {
  await initBackend('auto');
  const cases: [string, string, RegExp][] = [
    [tmpCopy((d) => fs.writeFileSync(path.join(d, 'model.json'), '{"modelTopology": {')), 'MODEL_CORRUPT', /not valid JSON/],
    [tmpCopy((d) => fs.writeFileSync(path.join(d, 'model.json'), '{"hello": 1}')), 'MODEL_CORRUPT', /not a TensorFlow.js model.json/],
    [tmpCopy((d) => fs.rmSync(path.join(d, 'group29-shard1of1'))), 'MODEL_SHARD_MISSING', /group29-shard1of1/],
    [tmpCopy((d) => fs.truncateSync(path.join(d, 'group29-shard1of1'), 1000)), 'MODEL_SHARD_TRUNCATED', /1000 bytes.*1028000/],
    ['/nonexistent/model.json', 'MODEL_NOT_FOUND', /not found/],
  ];
  for (const [p, code, msg] of cases) {
    await assert.rejects(loadModel({ path: p }), (e: any) => e.code === code && msg.test(e.message), `${code} for ${p}`);
  }
  // a model that is not an image CNN: a dense network on vectors
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-mlp-'));
  const topo = { class_name: 'Sequential', config: { name: 'mlp', layers: [
    { class_name: 'Dense', config: { name: 'd1', units: 4, activation: 'softmax', use_bias: true, batch_input_shape: [null, 10] } }] } };
  fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.alloc(44 * 4));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: topo,
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'd1/kernel', shape: [10, 4], dtype: 'float32' }, { name: 'd1/bias', shape: [4], dtype: 'float32' }] }] }));
  await assert.rejects(loadModel({ path: dir }), (e: any) => e.code === 'MODEL_NOT_IMAGE_CNN' && /image input/.test(e.message));
  await assert.rejects(loadModel({ path: MOBILENET, outputLayer: 'nope' }), (e: any) => e.code === 'BAD_ARGUMENT' && /nope/.test(e.message));
});

test('a Sequential model (the bundled demo model) loads, folds BatchNorm and matches tf.layers', async () => {
  await initBackend('auto');
  const demo = 'media/demo-model/model.json';
  if (!fs.existsSync(demo)) return;
  const { model, labels, preprocessing } = await loadModel({ path: demo });
  const tfl = await import('@tensorflow/tfjs-layers');
  const { readModelFiles } = await import('../../src/engine/model/modelFiles');
  const lm = await tfl.loadLayersModel(tf.io.fromMemory(readModelFiles(demo).artifacts));
  try {
    assert.equal(model.info.scoreLayer, 'logits', 'the input of the final softmax layer');
    assert.equal(model.info.batchNormFolded, true);
    assert.equal(labels?.length, model.info.numClasses, 'labels from the cnnlens.json sidecar');
    assert.deepEqual(preprocessing.inputRange, [0, 1]);
    const [h, w, c] = model.info.inputShape;
    const x = tf.randomUniform([3, h, w, c], 0, 1, 'float32', 3) as tf.Tensor4D;
    const probs = tf.tidy(() => tf.softmax(model.logits(x)).dataSync());
    const want = tf.tidy(() => (lm.predict(x) as tf.Tensor).dataSync());
    let d = 0; for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(probs[i] - want[i]));
    assert.ok(d < 1e-5, `max |Δp| ${d}`);
    x.dispose();
  } finally { model.dispose(); lm.dispose(); }
});
