// The attribution baselines (METHODS.md §3) on the shared MobileNet against TorchRay's own maps for the same input
// tensors (../shared/reference/torchray/saliency; cat → 285, robin → 15): gradient, guided backprop, deconvnet,
// Grad-CAM, linear approximation; occlusion sanity; settings validation; no tensor leaks. RISE: rise.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../src/engine/errors';
import type { AttributionInput, AttributionMethod, AttributionResult } from '../../src/engine/methods/attributionMethod';
import { baselineMethods, gradCamMethod, gradientMethod, linearApproximationMethod, occlusionMethod } from '../../src/engine/methods/baselines';
import { defaultSpatialLayer } from '../../src/engine/methods/baselines/spatialLayer';
import { occluderOffsets } from '../../src/engine/methods/baselines/occlusion';
import { REFERENCE_DIR, maxAbsDiff, readRef } from './helpers/reference';
import { REFERENCE_IMAGES, pearson, useReferenceMobileNet } from './helpers/referenceMobileNet';

const SAL = path.join(REFERENCE_DIR, 'torchray/saliency');

const ref = useReferenceMobileNet();
const inputs = ref.inputs;

/** Fraction of entries within `tol`·max|b| of b: element-wise agreement that tolerates a few ReLU6-kink flips. */
function fractionClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): number {
  const lim = tol * maxAbs(b);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) <= lim) n++;
  return n / a.length;
}
function maxAbs(a: ArrayLike<number>): number { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i])); return m; }

/** Runs a method with the resolveSettings → run protocol and checks that no tensor is left behind. */
async function explain(method: AttributionMethod<any>, image: string, target: number, settings: Record<string, unknown> = {}): Promise<AttributionResult> {
  const input: AttributionInput = { model: ref.model, input: inputs.get(image)!, target };
  const before = tf.memory().numTensors;
  const s = method.resolveSettings(settings, input);
  const r = await method.run(input, s, {});
  assert.equal(tf.memory().numTensors, before, `${method.name}: tensors leaked`);
  assert.equal(r.method, method.name);
  assert.equal(r.target, target);
  for (const m of r.maps) assert.equal(m.data.length, m.width * m.height, `${m.name}: data size`);
  const main = r.maps.find((m) => m.name === method.name)!;
  assert.ok(main, `map named ${method.name}`);
  assert.deepEqual([main.height, main.width], [224, 224], 'the main map is at the input resolution');
  return r;
}
const mapOf = (r: AttributionResult, name: string) => r.maps.find((m) => m.name === name)!;
const reportLine = (s: string) => console.log(`  [baselines] ${s}`);

for (const im of REFERENCE_IMAGES) {
  const dir = path.join(SAL, im.name);
  const refLogit = readRef(path.join(REFERENCE_DIR, 'model_check'), `${im.name}.logits_torch.f32`).data[im.target];

  test(`${im.name}: gradient matches TorchRay (Pearson ≥ 0.99)`, async () => {
    const r = await explain(gradientMethod, im.name, im.target);
    const ref = readRef(dir, 'gradient.f32').data;
    const got = mapOf(r, 'gradient').data;
    const c = pearson(got, ref);
    reportLine(`${im.name} gradient: r=${c.toFixed(5)}, max|Δ|/max=${(maxAbsDiff(got, ref) / maxAbs(ref)).toExponential(2)}, ${r.elapsedMs} ms`);
    assert.ok(c >= 0.99, `Pearson ${c}`);
    assert.ok(fractionClose(got, ref, 1e-3) >= 0.999, 'element-wise within 1e-3 of the maximum on 99.9% of pixels');
    assert.ok(Math.abs(r.scores.original - refLogit) < 1e-3, `logit ${r.scores.original} vs ${refLogit}`);
  });

  for (const [method, ref, raw] of [[gradCamMethod, 'grad_cam', 'gradcam_raw'], [linearApproximationMethod, 'linear_approx', 'linear_raw']] as const) {
    test(`${im.name}: ${method.name} at conv_pw_13_relu matches TorchRay (raw 7×7 and 224, Pearson ≥ 0.99)`, async () => {
      const r = await explain(method, im.name, im.target, { layer: 'conv_pw_13_relu' });
      const rawMap = mapOf(r, raw);
      assert.deepEqual([rawMap.height, rawMap.width], [7, 7]);
      const want7 = readRef(dir, `${ref}.f32`).data, want224 = readRef(dir, `${ref}_224.f32`).data;
      const c7 = pearson(rawMap.data, want7), c224 = pearson(mapOf(r, method.name).data, want224);
      const rel = maxAbsDiff(rawMap.data, want7) / maxAbs(want7);
      reportLine(`${im.name} ${method.name}: r7=${c7.toFixed(6)} r224=${c224.toFixed(6)} max|Δ7|/max=${rel.toExponential(2)}, ${r.elapsedMs} ms`);
      assert.ok(c7 >= 0.99 && c224 >= 0.99, `Pearson raw ${c7}, 224 ${c224}`);
      // Smooth functions of one layer's activation: the values themselves agree, not just their pattern.
      assert.ok(rel < 1e-3, `max relative difference ${rel}`);
      assert.equal(r.settings.layer, 'conv_pw_13_relu');
      if (method.name === 'gradcam') assert.ok(Math.min(...mapOf(r, method.name).data) >= 0, 'Grad-CAM is ReLU-ed');
    });
  }

  for (const [name, ref] of [['guided', 'guided_backprop'], ['deconvnet', 'deconvnet']] as const) {
    test(`${im.name}: ${name} against TorchRay`, async () => {
      const method = baselineMethods.find((m) => m.name === name)!;
      const r = await explain(method, im.name, im.target);
      const want = readRef(dir, `${ref}.f32`).data;
      const got = mapOf(r, name).data;
      const c = pearson(got, want);
      const rel = maxAbsDiff(got, want) / maxAbs(want);
      reportLine(`${im.name} ${name}: r=${c.toFixed(6)}, max|Δ|/max=${rel.toExponential(2)}, ${r.elapsedMs} ms`);
      // ReLU6 pre-activations sitting exactly at a kink may round to the other side on another backend and flip a
      // unit's mask (ENGINE_NOTES §3.3), so this is a correlation bound, not an element-wise one.
      assert.ok(c >= 0.99, `Pearson ${c}`);
      assert.ok(fractionClose(got, want, 1e-3) >= 0.999, 'element-wise within 1e-3 of the maximum on 99.9% of pixels');
    });
  }
}

test('Grad-CAM: default layer, layer validation and unknown settings', () => {
  const input: AttributionInput = { model: ref.model, input: inputs.get('cat')!, target: 285 };
  assert.equal(defaultSpatialLayer(ref.model.info), 'conv_pw_13_relu');
  assert.equal(gradCamMethod.resolveSettings({}, input).layer, 'conv_pw_13_relu');
  assert.equal(linearApproximationMethod.resolveSettings({ layer: 'conv_pw_11_relu' }, input).layer, 'conv_pw_11_relu');
  const bad = (f: () => unknown, code: string, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof EngineError && e.code === code && re.test(e.message));
  bad(() => gradCamMethod.resolveSettings({ layer: 'nope' }, input), 'BAD_ARGUMENT', /'nope' is not a layer.*Valid layers: .*conv_pw_13_relu/);
  bad(() => gradCamMethod.resolveSettings({ layer: 'global_average_pooling2d_1' }, input), 'BAD_ARGUMENT', /not a spatial/);
  bad(() => gradCamMethod.resolveSettings({ layr: 'conv1' } as any, input), 'BAD_ARGUMENT', /unknown setting 'layr'/);
  bad(() => gradientMethod.resolveSettings({}, { ...input, target: 1000 }), 'BAD_ARGUMENT', /target class/);
  bad(() => gradientMethod.resolveSettings({ smooth: -1 } as any, input), 'BAD_ARGUMENT', /'smooth'/);
  const big = tf.zeros([2, 224, 224, 3]) as tf.Tensor4D;
  try { bad(() => gradientMethod.resolveSettings({}, { ...input, input: big }), 'INPUT_INVALID', /\[1, 224, 224, 3\]/); } finally { big.dispose(); }
});

test('Grad-CAM at an earlier layer gives a 14×14 raw map; optional smoothing of the gradient map', async () => {
  const r = await explain(gradCamMethod, 'cat', 285, { layer: 'conv_pw_11_relu' });
  const raw = mapOf(r, 'gradcam_raw');
  assert.deepEqual([raw.height, raw.width], [14, 14]);
  const smoothed = await explain(gradientMethod, 'cat', 285, { smooth: 0.02 });
  const plain = await explain(gradientMethod, 'cat', 285);
  // σ = 0.02·224 ≈ 4.5 px: the map gets smoother (smaller max) but stays correlated with the raw one.
  assert.ok(maxAbs(mapOf(smoothed, 'gradient').data) < maxAbs(mapOf(plain, 'gradient').data));
  assert.ok(pearson(mapOf(smoothed, 'gradient').data, mapOf(plain, 'gradient').data) > 0.3);
  assert.equal(smoothed.settings.smooth, 0.02);
});

test('occlusion: offsets as the reference, shape, occluding the object lowers the score', async () => {
  assert.deepEqual(occluderOffsets(224, 8), Array.from({ length: 28 }, (_, i) => 8 * i));
  assert.deepEqual(occluderOffsets(300, 300 / 28).slice(0, 4), [0, 10, 21, 32]); // int(linspace(0, 300, 28))
  const input: AttributionInput = { model: ref.model, input: inputs.get('robin')!, target: 15 };
  const s = occlusionMethod.resolveSettings({}, input);
  assert.deepEqual(s, { patchSize: 35, stride: 8, batchSize: 32, fill: 0 });
  // A coarse grid keeps the test fast (stride 16, 14×14 = 196 occluders).
  const r = await explain(occlusionMethod, 'robin', 15, { stride: 16, patchSize: 32 });
  const map = mapOf(r, 'occlusion').data;
  // Where occlusion hurts most, the occluded logit is clearly below the clean one; compare with the gradient map's
  // hot region: the most important occlusion pixel lies where the gradient mass is.
  let best = 0;
  for (let i = 1; i < map.length; i++) if (map[i] > map[best]) best = i;
  assert.ok(map[best] > 1, `largest score drop ${map[best]}`);
  const grad = readRef(path.join(SAL, 'robin'), 'gradient.f32').data;
  const block = (a: ArrayLike<number>, cy: number, cx: number) => {
    let t = 0;
    for (let y = Math.max(0, cy - 24); y < Math.min(224, cy + 24); y++) for (let x = Math.max(0, cx - 24); x < Math.min(224, cx + 24); x++) t += a[y * 224 + x];
    return t;
  };
  const bestY = Math.floor(best / 224), bestX = best % 224;
  let meanBlock = 0;
  for (let cy = 24; cy < 224; cy += 48) for (let cx = 24; cx < 224; cx += 48) meanBlock += block(grad, cy, cx) / 25;
  reportLine(`robin occlusion: max drop ${map[best].toFixed(3)} at (${bestX}, ${bestY}); gradient mass there ${(block(grad, bestY, bestX) / meanBlock).toFixed(2)}× the average; ${r.elapsedMs} ms`);
  assert.ok(block(grad, bestY, bestX) > meanBlock, 'the most important occluded region also carries above-average gradient');
  // Direct check: occluding the most important patch lowers the logit.
  const y0 = Math.max(0, bestY - 16), x0 = Math.max(0, bestX - 16);
  const occluded = tf.tidy(() => {
    const m = tf.buffer([1, 224, 224, 1], 'float32');
    for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) m.set(y >= y0 && y < y0 + 32 && x >= x0 && x < x0 + 32 ? 0 : 1, 0, y, x, 0);
    return tf.slice(ref.model.logits(tf.mul(input.input, m.toTensor()) as tf.Tensor4D), [0, 15], [1, 1]);
  });
  const occludedLogit = (await occluded.data())[0];
  occluded.dispose();
  assert.ok(occludedLogit < r.scores.original - 1, `occluded ${occludedLogit} vs clean ${r.scores.original}`);
});

test('occlusion: settings validation and cancellation', async () => {
  const input: AttributionInput = { model: ref.model, input: inputs.get('cat')!, target: 285 };
  const bad = (settings: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => occlusionMethod.resolveSettings(settings, input), (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT' && re.test(e.message));
  bad({ patchSize: 0 }, /'patchSize' must be ≥ 1/);
  bad({ patchSize: 300 }, /'patchSize' must be ≤ 224/);
  bad({ patchSize: 7.5 }, /integer/);
  bad({ stride: 0 }, /'stride' must be > 0/);
  bad({ stride: 40 }, /must not exceed 'patchSize'/);
  bad({ batchSize: 'many' }, /must be a number/);
  assert.equal(occlusionMethod.resolveSettings({ stride: '12', patchSize: '24' } as any, input).stride, 12, 'numeric strings from the CLI');
  const before = tf.memory().numTensors;
  let steps = 0;
  await assert.rejects(
    occlusionMethod.run(input, occlusionMethod.resolveSettings({ batchSize: 16 }, input), { onProgress: () => steps++, isCancelled: () => steps >= 2 }),
    (e: unknown) => e instanceof EngineError && e.code === 'CANCELLED');
  assert.equal(steps, 2);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked on cancel');
});

test('every baseline is exported once with its MethodName', () => {
  assert.deepEqual(baselineMethods.map((m) => m.name).sort(), ['deconvnet', 'gradcam', 'gradient', 'guided', 'linear', 'occlusion', 'rise']);
});
