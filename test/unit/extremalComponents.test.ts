// Extremal perturbation building blocks against TorchRay's own intermediate tensors on cat.png
// (../shared/reference/torchray/components; METHODS.md §1.3–1.5): pyramid, generated masks, perturbed images,
// area term and its gradient w.r.t. the mask parameters. cpu for exactness, then the same checks on wasm.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { gaussianTaps, imsmooth } from '../../src/engine/methods/extremal/gaussianSmoothing';
import { applyPyramid, buildPyramid, pyramidSigmas } from '../../src/engine/methods/extremal/perturbationPyramid';
import { MaskGenerator, maskGeometry } from '../../src/engine/methods/extremal/maskGenerator';
import { areaTerm, areaTermHost, areaWeightAt, kthSmallest, kthSmallestNear, rankedReference, referenceZeros } from '../../src/engine/methods/extremal/areaTerm';
import { REFERENCE_DIR, block, maxAbsDiff, maxRelDiff, nchwToNhwc, nhwcToNchw, readJson, readRef } from './helpers/reference';

const DIR = path.join(REFERENCE_DIR, 'torchray/components');
const AREAS = [0.05, 0.1, 0.2];
const TOL = 1e-4;

interface Components {
  mask_generator: { shape_in: number[]; shape_mid: number[]; shape_up: number[]; shape_out: number[]; padding: number; radius: number; margin: number };
  pyramid: { sigmas_per_level: number[]; kernel_half_width_per_level: number[] };
  area_term: { zeros_in_reference: number[]; max_area: number };
  ep_trace: { regul_weight_per_iter: number[] };
}
const meta = readJson<Components>(DIR, 'components.json');

/** A reference NCHW / K,1,H,W tensor as an NHWC tf tensor. */
function nhwc(file: string): tf.Tensor4D {
  const r = readRef(DIR, file);
  const { data, shape } = nchwToNhwc(r.data, r.shape);
  return tf.tensor4d(data, shape as [number, number, number, number]);
}
/** Reads a tensor back in the reference's NCHW order. */
function nchw(t: tf.Tensor4D): Float32Array {
  return nhwcToNchw(t.dataSync() as Float32Array, t.shape).data;
}

/** Runs every check that compares with a reference file; returns named max differences for the cross-backend test. */
function componentOutputs(): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  const input = nhwc('input.f32');
  const pmask = nhwc('pmask.f32');
  const gen = new MaskGenerator(224, 224, 7, 21);
  try {
    const pyramid = buildPyramid(input, 'blur', 8);
    out.pyramid = nchw(pyramid);
    const { cropped, full } = gen.generate(pmask);
    out.cropped = nchw(cropped);
    out.full = nchw(full);
    const onesParams = tf.ones([1, 32, 32, 1]) as tf.Tensor4D;
    const ones = gen.generate(onesParams);
    out.fullFromOnes = nchw(ones.full);
    // Perturbed images from the reference mask, so that this checks apply() alone.
    const refMask = nhwc('mask_cropped.f32');
    const preserve = applyPyramid(pyramid, refMask);
    const inverse = tf.sub(1, refMask) as tf.Tensor4D;
    const del = applyPyramid(pyramid, inverse);
    out.preserve = nchw(preserve);
    out.delete = nchw(del);
    const refFull = nhwc('mask_full.f32');
    const area = areaTerm(refFull, AREAS, 300);
    out.area = area.dataSync() as Float32Array;
    // d/dpmask Σ_k regul_k through the generator (what the reference's grad_area_term holds).
    const grad = tf.grad((p: tf.Tensor) => tf.sum(areaTerm(gen.generate(p as tf.Tensor4D).full, AREAS, 300)))(pmask);
    out.gradArea = nchw(grad as tf.Tensor4D);
    tf.dispose([input, pmask, pyramid, cropped, full, onesParams, ones.cropped, ones.full, refMask, inverse, preserve, del, refFull, area, grad]);
  } finally {
    gen.dispose();
  }
  return out;
}

let cpu: Record<string, Float32Array>;

before(async () => {
  await initBackend('auto');
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  cpu = componentOutputs();
  assert.equal(tf.memory().numTensors, before, 'the components leak no tensors');
});

test('imsmooth taps match METHODS §0.5 samples', () => {
  const t20 = gaussianTaps(20);
  assert.equal(t20.length, 161);
  assert.ok(Math.abs(t20[80] - 0.019948) < 5e-7, `centre ${t20[80]}`);
  assert.ok(Math.abs(t20[0] - 6.69e-6) < 5e-9, `edge ${t20[0]}`);
  const t3 = gaussianTaps(2.857143);
  assert.equal(t3.length, 25);
  assert.ok(Math.abs(t3[12] - 0.139631) < 5e-7, `centre ${t3[12]}`);
  assert.deepEqual(Array.from(gaussianTaps(0)), [1]);
  assert.ok(Math.abs(t20.reduce((a, b) => a + b, 0) - 1) < 1e-6);
});

test('imsmooth: zero padding fades borders, replicate keeps a constant image constant', () => {
  const x = tf.ones([1, 20, 30, 2]) as tf.Tensor4D;
  const z = imsmooth(x, 3, 'constant');
  const r = imsmooth(x, 3, 'replicate');
  const zd = z.dataSync();
  assert.deepEqual(z.shape, [1, 20, 30, 2]);
  assert.ok(zd[0] < 0.5 && Math.abs(zd[(10 * 30 + 15) * 2] - 1) < 1e-3, `corner ${zd[0]}, centre ${zd[(10 * 30 + 15) * 2]}`);
  assert.ok(maxAbsDiff(r.dataSync(), x.dataSync()) < 1e-6);
  tf.dispose([x, z, r]);
});

test('pyramid sigmas and blur levels match TorchRay', () => {
  const sig = pyramidSigmas(8);
  assert.ok(maxAbsDiff(sig, meta.pyramid.sigmas_per_level) < 1e-6, `sigmas ${sig}`);
  assert.deepEqual(sig.map((s) => Math.ceil(4 * s)), meta.pyramid.kernel_half_width_per_level);
  const ref = readRef(DIR, 'pyramid.f32').data;
  const d = maxAbsDiff(cpu.pyramid, ref);
  assert.ok(d < TOL, `pyramid max |Δ| ${d}`);
  // Level 7 is the input itself.
  const input = readRef(DIR, 'input.f32').data;
  assert.equal(maxAbsDiff(block(cpu.pyramid, 7, 8), input), 0);
});

test('fade pyramid: level l = l/(L−1)·x and apply(m) = m·x', () => {
  const x = tf.randomUniform([1, 9, 11, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  const y = buildPyramid(x, 'fade', 5);
  assert.ok(maxAbsDiff(block(y.dataSync() as Float32Array, 0, 5), new Float32Array(9 * 11 * 3)) === 0, 'level 0 is zero');
  const m = tf.randomUniform([2, 9, 11, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
  const out = applyPyramid(y, m);
  const want = tf.mul(m, x);
  assert.ok(maxAbsDiff(out.dataSync(), want.dataSync()) < 1e-6);
  tf.dispose([x, y, m, out, want]);
});

test('mask generator geometry matches TorchRay for 224 (and METHODS §1.4 table)', () => {
  const g = maskGeometry(224, 224, 7, 21);
  const r = meta.mask_generator;
  assert.deepEqual([g.shapeIn, g.shapeMid, g.shapeUp, g.shapeOut], [r.shape_in, r.shape_mid, r.shape_up, r.shape_out]);
  assert.deepEqual([g.padding, g.radius, g.margin, g.cropOffset], [r.padding, r.radius, r.margin, 21]);
  const g2 = maskGeometry(375, 500, 7, 21);
  assert.deepEqual([g2.shapeIn, g2.shapeMid, g2.shapeUp, g2.shapeOut], [[54, 72], [60, 78], [420, 546], [414, 540]]);
});

test('generated masks (cropped and full) match TorchRay for random parameters', () => {
  const dc = maxAbsDiff(cpu.cropped, readRef(DIR, 'mask_cropped.f32').data);
  const df = maxAbsDiff(cpu.full, readRef(DIR, 'mask_full.f32').data);
  assert.ok(dc < TOL, `cropped max |Δ| ${dc}`);
  assert.ok(df < TOL, `full max |Δ| ${df}`);
});

test('generated mask from all-ones parameters matches TorchRay and METHODS §1.4 values', () => {
  const ref = readRef(DIR, 'mask_full_from_ones.f32').data;
  const d = maxAbsDiff(cpu.fullFromOnes, ref);
  assert.ok(d < TOL, `max |Δ| ${d}`);
  assert.ok(Math.abs(cpu.fullFromOnes[0] - 0.06662) < 1e-5, `corner ${cpu.fullFromOnes[0]}`);
  const mean = cpu.fullFromOnes.reduce((a, b) => a + b, 0) / cpu.fullFromOnes.length;
  assert.ok(Math.abs(mean - 0.95783) < 1e-5, `mean ${mean}`);
});

test('generator: a single parameter gives the METHODS §1.4 bump', () => {
  const gen = new MaskGenerator(224, 224, 7, 21);
  const p = new Float32Array(32 * 32);
  p[16 * 32 + 16] = 1;
  const pt = tf.tensor4d(p, [1, 32, 32, 1]);
  const { cropped, full } = gen.generate(pt);
  const m = cropped.dataSync();
  const at = (y: number, x: number) => m[y * 224 + x];
  const want: [number, number, number][] = [[112, 112, 0.9999999], [112, 100, 0.9898477], [112, 133, 0.6062698], [112, 143, 0.0292193], [112, 154, 0]];
  for (const [y, x, v] of want) assert.ok(Math.abs(at(y, x) - v) < 1e-5, `(${y},${x}) = ${at(y, x)}, want ${v}`);
  const sum = (m as Float32Array).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1673.1428) < 0.01, `sum ${sum}`);
  tf.dispose([pt, cropped, full]);
  gen.dispose();
});

test('perturbed images (preserve and delete) match TorchRay', () => {
  const dp = maxAbsDiff(cpu.preserve, readRef(DIR, 'perturbed_preserve.f32').data);
  const dd = maxAbsDiff(cpu.delete, readRef(DIR, 'perturbed_delete.f32').data);
  assert.ok(dp < TOL, `preserve max |Δ| ${dp}`);
  assert.ok(dd < TOL, `delete max |Δ| ${dd}`);
});

test('apply: gradient w.r.t. the mask is (L−1)(Y[k+1] − Y[k]), 0 at m = 1, right derivative at m = 0', () => {
  const x = tf.randomUniform([1, 6, 7, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
  const y = buildPyramid(x, 'blur', 4, 2);
  const m = tf.tensor4d([0, 1, 0.5, 0.2, 0.9, 0.34, 2 / 3], [1, 1, 7, 1]).tile([1, 6, 1, 1]) as tf.Tensor4D;
  const g = tf.grad((mm: tf.Tensor) => tf.sum(applyPyramid(y, mm as tf.Tensor4D)))(m).dataSync();
  const yd = y.dataSync();
  const at = (l: number, r: number, c: number) => [0, 1, 2].reduce((s, ch) => s + yd[((l * 6 + r) * 7 + c) * 3 + ch], 0);
  const levels = [0, 3, 1, 0, 2, 1, 2]; // ⌊m·3⌋ per column (2/3·3 rounds to 2 in float32)
  for (let c = 0; c < 7; c++) {
    const lo = levels[c];
    const hi = Math.min(lo + 1, 3);
    const want = 3 * (at(hi, 2, c) - at(lo, 2, c));
    assert.ok(Math.abs(g[2 * 7 + c] - want) < 1e-5, `column ${c}: ${g[2 * 7 + c]} vs ${want}`);
  }
  assert.equal(g[1], 0, 'zero gradient at m = 1');
  tf.dispose([x, y, m]);
});

test('area reference: zero counts, ranking with ties, weights λ_t', () => {
  assert.deepEqual(AREAS.map((a) => referenceZeros(meta.area_term.max_area, a)), meta.area_term.zeros_in_reference);
  assert.deepEqual([0.025, 0.018, 0.12].map((a) => referenceZeros(67600, a)), [65910, 66383, 59488]);
  const w = meta.ep_trace.regul_weight_per_iter;
  for (let t = 0; t < w.length; t++) assert.ok(Math.abs(areaWeightAt(t) - w[t]) < 1e-9);
  assert.ok(Math.abs(areaWeightAt(799) - 4892.21) < 0.01);
  // The largest values get the ones; among ties the later indices (stable ascending order by (value, index)).
  assert.deepEqual(Array.from(rankedReference([0.3, 0.7, 0.3, 0.1, 0.7], 3)), [0, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(rankedReference([0.3, 0.7, 0.3, 0.1, 0.7], 2)), [0, 1, 1, 0, 1]);
  assert.deepEqual(Array.from(rankedReference([0.5, 0.2], 0)), [1, 1]);
  assert.deepEqual(Array.from(rankedReference([0.5, 0.2], 2)), [0, 0]);
});

test('area threshold by radix selection equals the sorted value at every rank, with ties, zeros and −0', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pool = [0, -0, 1, 0.5, Math.fround(0.1), 1e-30, 0.999999];
  const values = Float32Array.from({ length: 5000 }, () => (rnd() < 0.5 ? pool[Math.floor(rnd() * pool.length)] : rnd()));
  const sorted = Float32Array.from(values).sort();
  for (const k of [0, 1, 2499, 2500, 4998, 4999, ...Array.from({ length: 40 }, () => Math.floor(rnd() * 5000))]) {
    const v = kthSmallest(values, k);
    assert.ok(v === sorted[k], `rank ${k}: ${v} vs ${sorted[k]}`); // −0 and 0 are the same rank value
  }
  assert.throws(() => kthSmallest(values, 5000), RangeError);
  // Near a guess: good guesses, guesses off by far, bands too narrow or holding every value, at band edges.
  for (const k of [0, 2500, 4999, ...Array.from({ length: 30 }, () => Math.floor(rnd() * 5000))]) {
    for (const [guess, halfWidth] of [[sorted[k], 0], [sorted[k], 1e-3], [sorted[k] + 0.01, 0.005], [sorted[k] - 0.2, 0.1], [0.5, 10], [2, 0.5],
      [sorted[Math.min(k + 3, 4999)], 1e-6]]) {
      const v = kthSmallestNear(values, k, guess, halfWidth);
      assert.ok(v === sorted[k], `rank ${k}, guess ${guess} ± ${halfWidth}: ${v} vs ${sorted[k]}`);
    }
  }
});

test('host area term equals the tensor one, value and gradient', () => {
  const n = 900;
  const mask = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : (Math.sin(i) + 1) / 2));
  const grad = new Float64Array(n);
  const value = areaTermHost(mask, referenceZeros(n, 0.2), 301.5, grad);
  const full = tf.tensor4d(mask, [1, 30, 30, 1]);
  const [ref, refGrad] = tf.tidy(() => [areaTerm(full, [0.2], 301.5), tf.grad((m) => tf.sum(areaTerm(m as tf.Tensor4D, [0.2], 301.5)))(full)]);
  assert.ok(maxRelDiff([value], ref.dataSync()) < 1e-6, `${value} vs ${ref.dataSync()}`);
  assert.ok(maxAbsDiff(Float32Array.from(grad), refGrad.dataSync() as Float32Array) < 1e-6);
  tf.dispose([full, ref, refGrad]);
});

test('area term and its gradient w.r.t. the mask parameters match TorchRay', () => {
  const ref = readRef(DIR, 'area_term.f32').data;
  const d = maxRelDiff(cpu.area, ref);
  assert.ok(d < TOL, `area term ${Array.from(cpu.area)} vs ${Array.from(ref)}`);
  const g = readRef(DIR, 'grad_area_term.f32');
  const dg = maxRelDiff(cpu.gradArea, g.data);
  assert.ok(dg < TOL, `grad max rel |Δ| ${dg}`);
});

test('wasm gives the same components within tolerance', async () => {
  await tf.setBackend('wasm');
  try {
    const wasm = componentOutputs();
    for (const k of Object.keys(cpu)) {
      const d = maxRelDiff(wasm[k], cpu[k]);
      assert.ok(d < TOL, `${k}: wasm vs cpu max rel |Δ| ${d}`);
    }
  } finally {
    await tf.setBackend('cpu');
  }
});
