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
import { MaskGenerator } from '../../src/engine/methods/extremal/maskGenerator';
import { buildPyramid } from '../../src/engine/methods/extremal/perturbationPyramid';
import { type ExtremalVariant, type RewardKind, extremalReward, variantBatch } from '../../src/engine/methods/extremal/rewards';
import { REFERENCE_DIR, SHARED_DIR, block, maxRelDiff, relL2, nchwToNhwc, nhwcToNchw, readJson, readRef } from './helpers/reference';

const DIR = path.join(REFERENCE_DIR, 'torchray/components');
const MOBILENET = path.join(SHARED_DIR, 'models/mobilenet_v1_025/model.json');
const AREAS = [0.05, 0.1, 0.2];
const TARGET = 285;
/** 1e-4, relative where |value| > 1 (absolute below). */
const TOL = 1e-4;
// Measured envelopes, not the 1e-4 the components reach (see the report / METHODS §1.13): full-chain gradients
// w.r.t. the parameters differ from TorchRay by rel-L2 4e-4…1.2e-3 (delete: 1.4e-2) on wasm, because the model's
// input gradient at the perturbed images differs from PyTorch's in isolated places, and in the loop because the
// area term's tied mask values are ranked differently from torch.sort (all-ones init ⇒ thousands of exact ties).
const GRAD_L2_TOL: Record<string, number> = { delete: 2e-2, other: 2e-3 };
const TRACE = { gradL2: 6e-2, params: 3e-3, hist: 2e-3, mask: 3e-3 };
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
        // Before any step the forward pass is deterministic: the logits must match tightly.
        assert.equal(m.before, 0, 'parameters start at 1');
        assert.ok(m.logits < TOL, `t=0 logits: ${m.logits}`);
      }
      assert.ok(m.gradL2 < TRACE.gradL2, `t=${st.iteration} grad rel L2 ${m.gradL2}`);
      assert.ok(m.after < TRACE.params, `t=${st.iteration} params ${m.after}`);
      t.diagnostic(`t=${st.iteration}: max |Δ| params before ${m.before.toExponential(2)}, grad ${m.grad.toExponential(2)} ` +
        `(rel L2 ${m.gradL2.toExponential(2)}), after ${m.after.toExponential(2)}, logits ${m.logits.toExponential(2)}`);
    }
    const dh = maxRelDiff(result.hist, readRef(DIR, 'ep_trace_hist.f32').data);
    const mask = new Float32Array(3 * 224 * 224);
    result.maps.forEach((m, i) => mask.set(m.data, i * 224 * 224));
    const dm = maxRelDiff(mask, readRef(DIR, 'ep_trace_mask.f32').data);
    t.diagnostic(`hist max |Δ| ${dh.toExponential(2)}, returned mask ${dm.toExponential(2)}`);
    assert.deepEqual(result.histShape, [3, 2, 5]);
    assert.ok(dh < TRACE.hist, `hist: ${dh}`);
    assert.ok(dm < TRACE.mask, `mask: ${dm}`);
    assert.deepEqual(result.maps.map((m) => m.name), ['extremal@0.05', 'extremal@0.1', 'extremal@0.2']);
  });
}
