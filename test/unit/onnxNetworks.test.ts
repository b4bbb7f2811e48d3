// Real ONNX networks (issue #4): the exports in ../shared/reference/models reproduce their PyTorch outputs, the
// MobileNet export gives the TF.js model's logits on the shared photos, its input gradient matches the TF.js
// model's, guided/deconvnet rules and intermediate overrides work, and nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { loadModel } from '../../src/engine/model/loadModel';
import { loadOnnxModel } from '../../src/engine/model/onnx/onnxModel';
import type { EngineModel } from '../../src/engine/model/modelTypes';
import { decodeImage } from '../../src/engine/image/decodeImage';
import { imageToInput } from '../../src/engine/image/preprocess';

const MODELS = '../shared/reference/models';
const CHECK = '../shared/reference/model_check';
const RUNS = '../shared/reference/torchray/runs';
const IMAGES = '../shared/images';
const f32 = (p: string) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };
/** Reference inputs are NCHW [1,3,224,224]; EngineModel takes NHWC. */
const nhwc = (v: Float32Array) => tf.tidy(() => tf.transpose(tf.tensor4d(v, [1, 3, 224, 224]), [0, 2, 3, 1]) as tf.Tensor4D);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i])); return d; };

async function logitsOf(model: EngineModel, x: tf.Tensor4D): Promise<Float32Array> {
  const y = tf.tidy(() => model.logits(x));
  const v = (await y.data()) as Float32Array;
  y.dispose();
  return v;
}

for (const name of ['mobilenet_v1_025', 'squeezenet1_1', 'shufflenet_v2_x0_5', 'mobilenet_v3_small', 'external_data/mobilenet_v1_025']) {
  test(`ONNX ${name} reproduces its expected output within 1e-4`, async () => {
    await initBackend('auto');
    const before = tf.memory().numTensors;
    const model = await loadOnnxModel(`${MODELS}/${name}.onnx`);
    try {
      assert.equal(model.info.format, 'onnx');
      assert.equal(model.info.layout, 'nchw');
      assert.deepEqual(model.info.inputShape, [224, 224, 3]);
      assert.equal(model.info.numClasses, 1000);
      // The JSON counts PyTorch parameters (BatchNorm's γ/β before folding); the file holds a little fewer.
      const meta = JSON.parse(fs.readFileSync(`${MODELS}/${name}.json`, 'utf8'));
      assert.ok(model.info.parameters <= meta.num_parameters && model.info.parameters > 0.99 * meta.num_parameters, `${model.info.parameters} parameters`);
      const x = nhwc(f32(`${MODELS}/${name}.input.f32`));
      const inside = tf.memory().numTensors;
      const got = await logitsOf(model, x);
      const want = f32(`${MODELS}/${name}.output.f32`);
      const d = maxAbsDiff(got, want);
      console.log(`# ${name}: max |Δ| ${d.toExponential(2)} (outputs up to ${Math.max(...want.map(Math.abs)).toFixed(3)})`);
      assert.ok(d < 1e-4, `${name}: max |Δ| ${d}`);
      // Batch 2 (a new input shape: shape arithmetic refolded) gives the same row twice.
      const x2 = tf.concat([x, x]);
      const y2 = tf.tidy(() => model.logits(x2 as tf.Tensor4D));
      assert.deepEqual(y2.shape, [2, 1000]);
      const v2 = await y2.data();
      assert.ok(maxAbsDiff(v2.subarray(1000), want) < 1e-4, 'second batch row');
      tf.dispose([x2, y2]);
      // Running again leaks nothing beyond what the model keeps per plan.
      const mid = tf.memory().numTensors;
      await logitsOf(model, x);
      assert.equal(tf.memory().numTensors, mid, 'no leak per call');
      void inside;
      x.dispose();
    } finally { model.dispose(); }
    assert.equal(tf.memory().numTensors, before, 'dispose frees everything');
  });
}

test('ONNX MobileNet gives the TF.js model\'s logits on the shared photos (within 1e-4)', async () => {
  await initBackend('auto');
  const onnx = (await loadModel({ path: `${MODELS}/mobilenet_v1_025.onnx` })).model;
  const tfjs = (await loadModel({ path: '../shared/models/mobilenet_v1_025/model.json' })).model;
  try {
    assert.equal(onnx.info.scoreLayer, 'logits');
    // The reference inputs against the recorded TF.js logits …
    const refs: [string, string][] = [['random_uniform_pm1', `${CHECK}/random_uniform_pm1.input.f32`], ['cat', `${RUNS}/r1_cat_preserve/input.f32`],
      ['robin', `${RUNS}/r4_robin_preserve/input.f32`], ['cat_dog', `${RUNS}/r5a_catdog_contrastive_top1/input.f32`]];
    for (const [name, file] of refs) {
      const x = nhwc(f32(file));
      const d = maxAbsDiff(await logitsOf(onnx, x), f32(`${CHECK}/${name}.logits_tfjs.f32`));
      x.dispose();
      console.log(`# ${name}: max |Δ logit| vs recorded TF.js ${d.toExponential(2)}`);
      assert.ok(d < 1e-4, `${name}: ${d}`);
    }
    // … and every shared photo, decoded and preprocessed by the engine, through both models.
    const photos = fs.readdirSync(IMAGES).filter((f) => /\.(png|jpe?g)$/i.test(f) && !/16bit|gray/.test(f));
    for (const f of photos) {
      const x = imageToInput(await decodeImage(`${IMAGES}/${f}`), { height: 224, width: 224, channels: 'rgb', inputRange: [-1, 1] });
      const d = maxAbsDiff(await logitsOf(onnx, x), await logitsOf(tfjs, x));
      x.dispose();
      console.log(`# ${f}: max |Δ logit| ONNX vs TF.js ${d.toExponential(2)}`);
      assert.ok(d < 1e-4, `${f}: ${d}`);
    }
    assert.ok(photos.length >= 8, `${photos.length} photos`);
  } finally { onnx.dispose(); tfjs.dispose(); }
});

const corr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ma = 0, mb = 0; for (let i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
  ma /= a.length; mb /= b.length;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) { const x = a[i] - ma, y = b[i] - mb; sab += x * y; saa += x * x; sbb += y * y; }
  return sab / Math.sqrt(saa * sbb);
};

test('ONNX MobileNet input gradients, guided backprop and Grad-CAM-style overrides match the TF.js model', async () => {
  await initBackend('auto');
  const onnx = await loadOnnxModel(`${MODELS}/mobilenet_v1_025.onnx`);
  const tfjs = (await loadModel({ path: '../shared/models/mobilenet_v1_025/model.json' })).model;
  try {
    const x = nhwc(f32(`${RUNS}/r4_robin_preserve/input.f32`));
    const gradOf = (m: EngineModel, rule: 'normal' | 'guided' | 'deconvnet') => tf.tidy(() =>
      tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(m.forward(xx as tf.Tensor4D, ['logits'], undefined, rule).logits, [0, 15], [1, 1])))(x));
    for (const rule of ['normal', 'guided', 'deconvnet'] as const) {
      const ga = gradOf(onnx, rule), gb = gradOf(tfjs, rule);
      const c = corr(await ga.data(), await gb.data());
      console.log(`# input gradient (${rule}) correlation ONNX vs TF.js: ${c.toFixed(6)}`);
      assert.ok(c > 0.99, `${rule}: correlation ${c}`);
      tf.dispose([ga, gb]);
    }
    // Grad-CAM: gradient of the class score w.r.t. the last conv activation (overridden), ONNX value names.
    const last = onnx.info.layers.filter((l) => l.type === 'Clip').pop()!;
    assert.deepEqual(last.outputShape, [7, 7, 256], 'NHWC-style shape of the last ReLU6');
    const camOf = (m: EngineModel, layer: string) => tf.tidy(() => {
      const a = m.forward(x, [layer])[layer];
      return tf.grad((aa: tf.Tensor) => tf.sum(tf.slice(m.forward(x, ['logits'], { [layer]: aa }).logits, [0, 15], [1, 1])))(a);
    });
    const ca = camOf(onnx, last.name), cb = camOf(tfjs, 'conv_pw_13_relu');
    assert.deepEqual(ca.shape, [1, 7, 7, 256]);
    const c = corr(await ca.data(), await cb.data());
    console.log(`# gradient w.r.t. ${last.name} (Grad-CAM) correlation: ${c.toFixed(6)}`);
    assert.ok(c > 0.99, `Grad-CAM gradients correlation ${c}`);
    tf.dispose([ca, cb, x]);
  } finally { onnx.dispose(); tfjs.dispose(); }
});
