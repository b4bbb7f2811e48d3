// The parts of NetDissect and Net2Vec checked on hand-computed cases (METHODS.md §5.3–5.8): the single-filter IoUs
// (NetDissect's category-restricted activation counts, Net2Vec's set IoU over images containing the concept, best
// filter chosen on train and reported on val), the segmentation probe's corner-aligned upsampling and its
// α-weighted loss without a logarithm, the balanced sampling of the classification probe, and the embeddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { SeededRandom } from '../../src/engine/datasets/seededRandom';
import { balancedSample } from '../../src/engine/probing/classificationProbe';
import { ConceptEmbeddings, cosine } from '../../src/engine/probing/conceptEmbeddings';
import { DissectAccumulator } from '../../src/engine/probing/netDissect';
import type { ProbeConcept } from '../../src/engine/probing/probeDataset';
import { SEGMENTATION_DEFAULTS } from '../../src/engine/probing/probeSettings';
import { initialWeights, logitsOf, trainSegmentationProbe } from '../../src/engine/probing/segmentationProbe';

const close = (a: number, b: number, what: string, eps = 1e-6) => assert.ok(Math.abs(a - b) < eps, `${what}: ${a} vs ${b}`);

/** Interleaves per-filter 2×2 maps into NHWC [2, 2, K]. */
const nhwc = (...maps: number[][]) => Float32Array.from({ length: 4 * maps.length }, (_, i) => maps[i % maps.length][Math.floor(i / maps.length)]);

test('single-filter IoUs: NetDissect counts activations on images of the category, Net2Vec on images with the concept', async () => {
  await initBackend('cpu');
  const a: ProbeConcept = { number: 1, name: 'a', categories: ['object'], primary: 'object' };
  const acc = new DissectAccumulator([a], 2, Float32Array.from([0.5, 0.5]));
  const none: Uint8Array[] = [];
  // Label maps at the activation size: both upsamplings are then the identity, so the counts can be done by hand.
  const img = (split: 'train' | 'val', maps: number[][], mask: number[] | null, categories: string[]) => acc.add({
    acts: nhwc(...maps), split, sh: 2, sw: 2, present: mask ? [0] : [],
    masksAny: mask ? [Uint8Array.from(mask)] : none, masksFirst: mask ? [Uint8Array.from(mask)] : none, categories,
  }, 2, 2);
  img('train', [[1, 0, 0, 1], [1, 1, 0, 0]], [1, 1, 0, 0], ['object']); // contains a
  img('train', [[1, 1, 0, 0], [0, 0, 0, 0]], null, ['object']); // other object labels: counts for NetDissect only
  img('train', [[1, 1, 1, 1], [1, 1, 1, 1]], null, []); // no labels of the category: counts for neither
  img('val', [[0, 0, 1, 1], [0, 1, 0, 1]], [0, 0, 1, 1], ['object']);
  const { concepts: [d], units } = acc.results();
  // Train, filter 0: NetDissect I = 1, A = 2 + 2, G = 2 → 1/5; filter 1: I = 2, A = 2, G = 2 → 1. Best: filter 1.
  assert.equal(d.netDissect.filter, 1);
  close(d.netDissect.train, 1, 'NetDissect train IoU of filter 1');
  // Chosen on train, reported on val even though filter 0 would be perfect there: I = 1, A = 2, G = 2 → 1/3.
  close(d.netDissect.val, 1 / 3, 'NetDissect val IoU');
  assert.equal(d.single.filter, 1);
  close(d.single.val, 1 / 3, 'Net2Vec single-filter val IoU');
  close(d.singleVal[0], 1, 'filter 0 on val');
  // Units: IoU over both splits. Filter 0: I = 1 + 2, A = 4 + 2, G = 4 → 3/7; filter 1: I = 3, A = 2 + 2, G = 4 → 3/5.
  close(units[0].iou, 3 / 7, 'unit 0');
  close(units[1].iou, 3 / 5, 'unit 1');
  assert.ok(units.every((u) => u.concept === 'a' && u.detector));

  // The category restriction matters: a train image without object labels but with filter 0 on everywhere would
  // lower filter 0's NetDissect IoU if it were counted. Net2Vec's set IoU ignores images without the concept.
  const b = new DissectAccumulator([a], 1, Float32Array.from([0.5]));
  b.add({ acts: nhwc([1, 1, 0, 0]), split: 'train', sh: 2, sw: 2, present: [0], masksAny: [Uint8Array.from([1, 1, 0, 0])], masksFirst: [Uint8Array.from([1, 1, 0, 0])], categories: ['object'] }, 2, 2);
  b.add({ acts: nhwc([1, 1, 1, 1]), split: 'train', sh: 2, sw: 2, present: [], masksAny: [], masksFirst: [], categories: ['part'] }, 2, 2);
  close(b.results().concepts[0].netDissect.train, 1, 'an image of another category does not count');
});

test('NetDissect upsamples activations (half-pixel) before thresholding, Net2Vec thresholds first (corner-aligned)', async () => {
  await initBackend('cpu');
  const a: ProbeConcept = { number: 1, name: 'a', categories: ['object'], primary: 'object' };
  const acc = new DissectAccumulator([a], 1, Float32Array.from([0.5]));
  // A 2×2 map with one hot cell, labels at 4×4 covering the top-left 2×2 block.
  const mask = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  acc.add({ acts: Float32Array.from([1, 0, 0, 0]), split: 'train', sh: 4, sw: 4, present: [0], masksAny: [mask], masksFirst: [mask], categories: ['object'] }, 2, 2);
  const d = acc.results().concepts[0];
  // Half-pixel bilinear of [1 0; 0 0] to 4×4: rows/columns weights 1, .75, .25, 0 → values > .5 only in the top-left
  // 2×2 (1, .75, .75, .5625): exactly the mask, IoU 1.
  close(d.netDissect.train, 1, 'NetDissect');
  // Corner-aligned upsampling of the binary map: weights 1, 2/3, 1/3, 0 → > .5 where both ≥ 2/3 … (2/3)² = .44 is not:
  // the top-left 2×2 minus its inner corner → 3 pixels of the mask's 4: IoU 3/4.
  close(d.single.train, 3 / 4, 'Net2Vec single filter');
});

test('segmentation probe: corner-aligned upsampling of the weighted sum, α-weighted loss without a logarithm, SGD step', async () => {
  await initBackend('cpu');
  // logitsOf on a 2×2 map with one hot cell, to 3×3: corner-aligned samples the map's corners exactly.
  const up = tf.tidy(() => logitsOf(tf.tensor4d([1, 0, 0, 0], [1, 2, 2, 1]), tf.tensor1d([2]), null, 3, 3));
  assert.deepEqual(up.arraySync(), [[[2, 1, 0], [1, 0.5, 0], [0, 0, 0]]]);
  up.dispose();

  // Two images of one pixel, two filters; image 1 has filter 0 on, image 2 filter 1. Targets 2×2 with 1 and 3 positive
  // pixels: α = 1 − mean(1/4, 3/4) = 1/2. With M_i = σ(w_f) on every pixel of image i:
  //   ℒ = −½ [ ½·1·M₁ + ½·3·(1 − M₁) + ½·3·M₂ + ½·1·(1 − M₂) ] = −(2 − M₁ + M₂)/2.
  const samples = {
    n: 2, h: 1, w: 1, k: 2, sh: 2, sw: 2,
    binary: Uint8Array.from([1, 0, 0, 1]),
    targets: Uint8Array.from([1, 0, 0, 0, 1, 1, 1, 0]),
  };
  const t = { ...SEGMENTATION_DEFAULTS, epochs: 2, learningRate: 0.5, seed: 3 };
  const before = tf.memory().numTensors;
  const p = trainSegmentationProbe(samples, t);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(p.alpha, 0.5);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const w0 = initialWeights(2, 3);
  const loss = (w: ArrayLike<number>) => -(2 - sig(w[0]) + sig(w[1])) / 2;
  close(p.losses[0], loss(w0), 'loss at the initial weights');
  // Gradient: ∂ℒ/∂w₀ = σ'(w₀)/2, ∂ℒ/∂w₁ = −σ'(w₁)/2 (a BCE loss would give other values). Custom_SGD: b₁ = g₁,
  // w₁ = w₀ − η·b₁; b₂ = μ·b₁ + g₂, w₂ = w₁ − η·b₂.
  const grad = (w: number[]) => [sig(w[0]) * (1 - sig(w[0])) / 2, -sig(w[1]) * (1 - sig(w[1])) / 2];
  const g1 = grad([w0[0], w0[1]]);
  const w1 = [w0[0] - 0.5 * g1[0], w0[1] - 0.5 * g1[1]];
  close(p.losses[1], loss(w1), 'loss after one step');
  const g2 = grad(w1);
  const b2 = [0.9 * g1[0] + g2[0], 0.9 * g1[1] + g2[1]];
  close(p.weights[0], w1[0] - 0.5 * b2[0], 'w0 after two steps', 1e-5);
  close(p.weights[1], w1[1] - 0.5 * b2[1], 'w1 after two steps', 1e-5);
  // Initial weights: U(−1/√K, 1/√K), zero outside a filter mask.
  assert.ok(Array.from(initialWeights(16, 0)).every((v) => Math.abs(v) <= 0.25 && v !== 0));
  assert.deepEqual(Array.from(initialWeights(3, 0, Uint8Array.from([0, 1, 0]))).map((v) => v === 0), [true, false, true]);
});

test('classification sampling: all of the smaller class and as many of the larger, without replacement', () => {
  const pos = [1, 2, 3];
  const neg = Array.from({ length: 20 }, (_, i) => 100 + i);
  const s = balancedSample(pos, neg, new SeededRandom(1));
  assert.equal(s.length, 6);
  assert.deepEqual(s.filter((i) => i < 100).sort(), pos);
  assert.equal(new Set(s).size, 6, 'drawn without replacement');
  // The reverse when negatives are fewer.
  const r = balancedSample(neg, pos, new SeededRandom(1));
  assert.deepEqual(r.filter((i) => i < 100).sort(), pos);
  assert.equal(r.length, 6);
});

test('concept embeddings: L2-normalised weights, nearest by cosine, analogies exclude their inputs', () => {
  const e = new ConceptEmbeddings();
  e.add('a', [2, 0, 0]);
  e.add('b', [0, 3, 0]);
  e.add('c', [1, 1, 0]);
  e.add('d', [0, 0, 5]);
  e.add('e', [1, 0, 1]);
  assert.deepEqual(Array.from(e.get('a')!), [1, 0, 0]);
  close(cosine([1, 1, 0], [3, 0, 0]), Math.SQRT1_2, 'cosine ignores the scale');
  const near = e.nearest('c', 3);
  assert.deepEqual(near.map((n) => n.concept), ['a', 'b', 'e']);
  close(near[0].cosine, Math.SQRT1_2, 'cos(c, a)');
  close(near[2].cosine, 0.5, 'cos(c, e)');
  assert.ok(!e.nearest('a', 10).some((n) => n.concept === 'a'), 'a concept is not its own neighbour');
  // a − b + d = (1, −1, 1): e = (1, 0, 1)/√2 is the best match among the others, cosine 2/√6.
  const an = e.analogy('a', 'b', 'd', 2);
  assert.equal(an[0].concept, 'e');
  close(an[0].cosine, 2 / Math.sqrt(6), 'analogy cosine');
  assert.ok(an.every((n) => !['a', 'b', 'd'].includes(n.concept)));
});
