// Extremal perturbation with the shared MobileNet against TorchRay (../shared/reference/torchray/components):
// reward gradients w.r.t. the mask parameters, the scores of perturbed images, and TorchRay's first 5 iterations
// exactly (parameters before/after each step, the gradient SGD sees, logits, hist, returned mask). METHODS.md §1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { loadModel } from '../../src/engine/model/loadModel';
import type { EngineModel } from '../../src/engine/model/modelTypes';
import { areaTerm } from '../../src/engine/methods/extremal/areaTerm';
import { type ExtremalTraceStep, extremalPerturbation } from '../../src/engine/methods/extremal/extremal';
import { torchSortOrder } from '../../src/engine/methods/extremal/introsort';
import { MaskGenerator, maskGeometry } from '../../src/engine/methods/extremal/maskGenerator';
import { TorchMaskValues } from '../../src/engine/methods/extremal/torchMaskValues';
import { buildPyramid } from '../../src/engine/methods/extremal/perturbationPyramid';
import { type ExtremalVariant, type RewardKind, extremalReward, variantBatch } from '../../src/engine/methods/extremal/rewards';
import { REFERENCE_DIR, SHARED_DIR, block, maxRelDiff, relL2, nchwToNhwc, nhwcToNchw, readJson, readRef } from './helpers/reference';

const DIR = path.join(REFERENCE_DIR, 'torchray/components');
const MOBILENET = path.join(SHARED_DIR, 'models/mobilenet_v1_025/model.json');
const AREAS = [0.05, 0.1, 0.2];
const TARGET = 285;
/** 1e-4, relative where |value| > 1 (absolute below). */
const TOL = 1e-4;
// Measured envelopes where 1e-4 cannot hold, and why:
//  - Reward gradients at the random parameters of components/ differ by rel-L2 4e-4…1.2e-3 (delete: 1.4e-2): the
//    network's input gradient at these perturbed images is discontinuous at float32 resolution (ReLU6 kinks):
//    moving the input by 1e-7 changes it by rel-L2 6e-3…3e-2 on both backends, and moving the parameters by 1e-6
//    brought the preserve gradient to 4.9e-6 of TorchRay's. No float32 port can do better than this noise.
//  - The loop itself is exact to 1e-4 (parameters, logits, hist, returned mask, and the gradient of the first two
//    steps, whose masks are near-uniform). The area term places torch.sort's ties as TorchRay does (torchTies.ts:
//    TorchRay's float32 mask values bit for bit where they matter, and libstdc++'s introsort); without that the
//    first gradient was off by 1.9e-2. From t=2 the masks are no longer uniform and the parameters differ by ~1e-7,
//    which the reward gradient's kinks amplify as above: the gradient's rel-L2 grows to ~4e-3 by t=4, while the
//    parameters it moves stay within 1e-4.
const GRAD_L2_TOL: Record<string, number> = { delete: 2e-2, other: 2e-3 };
/** Steps whose gradient must match to TOL element-wise; later ones within TRACE.gradL2 (rel-L2). */
const EXACT_GRAD_STEPS = 2;
const TRACE = { gradL2: 1e-2 };
/** Measured at t=0 with TorchRay's mask values and tie order: 1.1e-5. */
const TIE_FREE_TOL = 1e-4;
const components = readJson<{
  perturbed_scores: { preserve_target_logit: number[]; delete_target_logit: number[] };
  contrastive_reward_preserve: { values_row_major: number[] };
}>(DIR, 'components.json');

let model: EngineModel;

function nhwc(file: string): tf.Tensor4D {
  const r = readRef(DIR, file);
  const { data, shape } = nchwToNhwc(r.data, r.shape);
  return tf.tensor4d(data, shape as [number, number, number, number]);
}

before(async () => {
  await initBackend('auto');
  model = (await loadModel({ path: MOBILENET })).model;
});
after(() => model?.dispose());

/** Gradient w.r.t. pmask of Σ_k reward_k (+ Σ_k regul_k), the quantities of components/grad_*.f32. */
function rewardGradient(variant: ExtremalVariant, withArea: boolean, flip: boolean): Float32Array {
  const input = nhwc('input.f32');
  const pmask = nhwc('pmask.f32');
  const gen = new MaskGenerator(224, 224, 7, 21);
  const pyramid = buildPyramid(input, 'blur', 8);
  const g = tf.grad((p: tf.Tensor) => {
    const { cropped, full } = gen.generate(p as tf.Tensor4D);
    const batch = variantBatch(pyramid, cropped, variant);
    const reward = extremalReward(model.logits(flip ? tf.reverse(batch, 2) : batch), TARGET, variant, 'simple');
    return withArea ? tf.sum(tf.add(reward, areaTerm(full, AREAS, 300))) : tf.sum(reward);
  })(pmask);
  const out = nhwcToNchw(g.dataSync() as Float32Array, g.shape).data;
  tf.dispose([input, pmask, pyramid, g]);
  gen.dispose();
  return out;
}

for (const backend of ['wasm']) {
  test(`${backend}: reward and energy gradients w.r.t. the mask parameters match TorchRay`, async (t) => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const cases: [string, ExtremalVariant, boolean, boolean][] = [
      ['grad_preserve_reward.f32', 'preserve', false, false],
      ['grad_delete_reward.f32', 'delete', false, false],
      ['grad_dual_reward.f32', 'dual', false, false],
      ['grad_energy_noflip.f32', 'preserve', true, false],
      ['grad_energy_flip.f32', 'preserve', true, true],
    ];
    for (const [file, variant, withArea, flip] of cases) {
      const got = rewardGradient(variant, withArea, flip);
      const ref = readRef(DIR, file).data;
      const d = maxRelDiff(got, ref);
      const l2 = relL2(got, ref);
      t.diagnostic(`${file}: max rel/abs |Δ| ${d.toExponential(2)}, rel L2 ${l2.toExponential(2)}`);
      assert.ok(l2 < (variant === 'delete' ? GRAD_L2_TOL.delete : GRAD_L2_TOL.other), `${file}: rel L2 ${l2}`);
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  });
}

test('scores of the perturbed images and the contrastive reward match TorchRay', async () => {
  await tf.setBackend('cpu');
  const input = nhwc('input.f32');
  const mask = nhwc('mask_cropped.f32');
  const pyramid = buildPyramid(input, 'blur', 8);
  const check = (variant: ExtremalVariant, kind: RewardKind, want: number[]) => {
    const got = tf.tidy(() => extremalReward(model.logits(variantBatch(pyramid, mask, variant)), TARGET, variant, kind));
    const d = maxRelDiff(got.dataSync(), want);
    got.dispose();
    assert.ok(d < TOL, `${variant}/${kind}: ${d}`);
  };
  check('preserve', 'simple', components.perturbed_scores.preserve_target_logit);
  check('delete', 'simple', components.perturbed_scores.delete_target_logit.map((v) => -v));
  // The reference's contrastive output is [3,3] by its broadcasting quirk; the intended per-image value is the diagonal.
  const v = components.contrastive_reward_preserve.values_row_major;
  check('preserve', 'contrastive', [v[0], v[4], v[8]]);
  tf.dispose([input, mask, pyramid]);
});

for (const backend of ['wasm']) {
  test(`${backend}: the first 5 iterations reproduce TorchRay's trace`, async (t) => {
    await tf.setBackend(backend);
    const input = nhwc('input.f32');
    const before = tf.memory().numTensors;
    const steps: ExtremalTraceStep[] = [];
    const s = extremalPerturbation.resolveSettings({ areas: AREAS, maxIter: 5 }, { model, input, target: TARGET });
    const result = await extremalPerturbation.run({ model, input, target: TARGET }, s, { trace: (st) => steps.push(st) });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    input.dispose();
    assert.equal(steps.length, 5);
    const ref = {
      before: readRef(DIR, 'ep_trace_pmask_before.f32').data,
      grad: readRef(DIR, 'ep_trace_grad.f32').data,
      after: readRef(DIR, 'ep_trace_pmask_after.f32').data,
      logits: readRef(DIR, 'ep_trace_logits.f32').data,
    };
    for (const st of steps) {
      assert.equal(st.flipped, st.iteration % 2 === 0);
      const b = (a: Float32Array) => block(a, st.iteration, 5);
      const m = {
        before: maxRelDiff(st.paramsBefore, b(ref.before)), grad: maxRelDiff(st.grad, b(ref.grad)),
        gradL2: relL2(st.grad, b(ref.grad)), after: maxRelDiff(st.paramsAfter, b(ref.after)),
        logits: maxRelDiff(st.logits, b(ref.logits)),
      };
      if (st.iteration === 0) {
        // Before any step the forward pass is deterministic: logits, reward and area term (the sorted values do not
        // depend on the tie order) must match tightly.
        assert.equal(m.before, 0, 'parameters start at 1');
        assert.ok(m.logits < TOL, `t=0 logits: ${m.logits}`);
        const hist = readRef(DIR, 'ep_trace_hist.f32').data; // [3, 2, 5]
        for (let k = 0; k < 3; k++) {
          assert.ok(maxRelDiff([st.reward[k]], [hist[k * 10]]) < TOL, `t=0 reward ${k}: ${st.reward[k]} vs ${hist[k * 10]}`);
          assert.ok(maxRelDiff([st.areaTerm[k]], [hist[k * 10 + 5]]) < TOL, `t=0 area term ${k}: ${st.areaTerm[k]} vs ${hist[k * 10 + 5]}`);
        }
      }
      if (st.iteration < EXACT_GRAD_STEPS) assert.ok(m.grad < TOL, `t=${st.iteration} grad ${m.grad}`);
      else assert.ok(m.gradL2 < TRACE.gradL2, `t=${st.iteration} grad rel L2 ${m.gradL2}`);
      assert.ok(m.before < TOL, `t=${st.iteration} params before ${m.before}`);
      assert.ok(m.after < TOL, `t=${st.iteration} params after ${m.after}`);
      assert.ok(m.logits < TOL, `t=${st.iteration} logits ${m.logits}`);
      t.diagnostic(`t=${st.iteration}: max |Δ| params before ${m.before.toExponential(2)}, grad ${m.grad.toExponential(2)} ` +
        `(rel L2 ${m.gradL2.toExponential(2)}), after ${m.after.toExponential(2)}, logits ${m.logits.toExponential(2)}`);
    }
    const dh = maxRelDiff(result.hist, readRef(DIR, 'ep_trace_hist.f32').data);
    const mask = new Float32Array(3 * 224 * 224);
    result.maps.forEach((m, i) => mask.set(m.data, i * 224 * 224));
    const dm = maxRelDiff(mask, readRef(DIR, 'ep_trace_mask.f32').data);
    t.diagnostic(`hist max |Δ| ${dh.toExponential(2)}, returned mask ${dm.toExponential(2)}`);
    assert.deepEqual(result.histShape, [3, 2, 5]);
    assert.ok(dh < TOL, `hist: ${dh}`);
    assert.ok(dm < TOL, `mask: ${dm}`);
    assert.deepEqual(result.maps.map((m) => m.name), ['extremal@0.05', 'extremal@0.1', 'extremal@0.2']);
  });
}

test('wasm: the first gradient differs from TorchRay only through torch.sort\'s tie order', async (t) => {
  // TorchRay's own t=0 full mask (all-ones parameters; the same for every area) ranked by torch.sort's order gives
  // the area term's gradient w.r.t. the mask; through our generator's backward and with our reward gradient
  // (preserve, flipped: iteration 0) it must reproduce ep_trace_grad[0]. With a stable (value, index) order on the
  // same values it must not: that is the whole difference.
  await tf.setBackend('wasm');
  const input = nhwc('input.f32');
  const gen = new MaskGenerator(224, 224, 7, 21);
  const pyramid = buildPyramid(input, 'blur', 8);
  const ones = tf.ones([3, 32, 32, 1]) as tf.Tensor4D;
  const rewardGrad = tf.grad((p: tf.Tensor) => {
    const batch = variantBatch(pyramid, gen.generate(p as tf.Tensor4D).cropped, 'preserve');
    return tf.sum(extremalReward(model.logits(tf.reverse(batch, 2)), TARGET, 'preserve', 'simple'));
  })(ones);
  const reward = rewardGrad.dataSync() as Float32Array;
  const torchMask = readRef(DIR, 'mask_full_from_ones.f32').data;
  const n = torchMask.length;
  const ref = block(readRef(DIR, 'ep_trace_grad.f32').data, 0, 5);
  const gradientWith = (order: Int32Array): Float32Array => {
    const dFull = new Float32Array(3 * n);
    AREAS.forEach((a, k) => {
      const zeros = Math.trunc(n * (1 - a));
      for (let r = 0; r < n; r++) dFull[k * n + order[r]] = (-300 / n) * 2 * (torchMask[order[r]] - (r >= zeros ? 1 : 0));
    });
    const area = tf.tidy(() => tf.grad((p: tf.Tensor) => tf.sum(tf.mul(gen.generate(p as tf.Tensor4D).full, tf.tensor4d(dFull, [3, 260, 260, 1]))))(ones));
    const g = area.dataSync() as Float32Array;
    area.dispose();
    return g.map((v, i) => -(v + reward[i])); // SGD sees the gradient of −energy
  };
  const torchOrder = gradientWith(torchSortOrder(torchMask));
  const stable = gradientWith(Int32Array.from(Array.from({ length: n }, (_, i) => i).sort((p, q) => torchMask[p] - torchMask[q] || p - q)));
  const dTorch = maxRelDiff(torchOrder, ref);
  const dStable = maxRelDiff(stable, ref);
  t.diagnostic(`t=0 gradient with torch.sort's tie order: max |Δ| ${dTorch.toExponential(2)} (rel L2 ${relL2(torchOrder, ref).toExponential(2)}); ` +
    `with a stable order: ${dStable.toExponential(2)}`);
  assert.ok(dTorch < TIE_FREE_TOL, `with torch's order: ${dTorch}`);
  assert.ok(dStable > 10 * TIE_FREE_TOL, `the tie order must matter here: ${dStable}`);
  tf.dispose([input, pyramid, ones, rewardGrad]);
  gen.dispose();
});

test('TorchRay\'s float32 mask values are reproduced bit for bit (what the area term\'s tie order needs)', () => {
  // The fast generator sums in float64; TorchMaskValues redoes one pixel in PyTorch's float32 steps (its exp, its
  // cascade summation order). Both reference masks must come out identical, every bit.
  const values = new TorchMaskValues(maskGeometry(224, 224, 7, 21));
  const cases: [string, Float32Array, number][] = [
    ['mask_full_from_ones.f32', new Float32Array(32 * 32).fill(1), 1],
    ['mask_full.f32', readRef(DIR, 'pmask.f32').data, 3],
  ];
  for (const [file, params, k] of cases) {
    const ref = readRef(DIR, file).data;
    const n = ref.length / k;
    let differ = 0;
    for (let a = 0; a < k; a++) for (let p = 0; p < n; p++) if (values.value(params, a * 32 * 32, p) !== ref[a * n + p]) differ++;
    assert.equal(differ, 0, `${file}: ${differ} of ${ref.length} pixels differ`);
  }
});
