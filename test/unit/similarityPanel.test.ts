// The Similarity panel's webview side without a browser: its hover model (what runs on every pointer move) on the
// engine's vectors, split per image exactly as the extension sends them, equals the engine's direct cosine formula
// at every layer, with the probe rescaled between grids; normalisation ranges; painting; message validation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { decodeImage } from '../../src/engine/image/decodeImage';
import { imageToInput, resolvePreprocessing } from '../../src/engine/image/preprocess';
import { loadModel, type LoadedModel } from '../../src/engine/model/loadModel';
import { directCosineMaps } from '../../src/engine/similarity/cellVectors';
import { computeSimilarity } from '../../src/engine/similarity/computeSimilarity';
import type { SimilarityResult } from '../../src/engine/similarity/similarityTypes';
import { paintMap, PROBE_RGB } from '../../src/webview/similarity/overlayPainter';
import { mapRanges, SimilarityModel } from '../../src/webview/similarity/similarityModel';
import {
  validateFromSimilarityPanel, validateSimilarityState, validateToSimilarityPanel, type LayerMeta, type PanelImage,
} from '../../src/webview/similarityPanelProtocol';

const SHARED = path.resolve('../shared');
const PHOTOS = ['elephant.jpg', 'cat_dog.png'].map((f) => path.join(SHARED, 'images', f));
let loaded: LoadedModel;
let r: SimilarityResult;
let layers: LayerMeta[];
let images: PanelImage[];

before(async () => {
  await initBackend('auto');
  loaded = await loadModel({ path: path.join(SHARED, 'models/mobilenet_v1_025/model.json') });
  r = await computeSimilarity(loaded, PHOTOS.map((p) => ({ kind: 'file' as const, path: p })), { layers: ['conv_pw_5_relu', 'conv_pw_11_relu'] }, { isCancelled: () => false, progress: () => {} });
  // As src/extension/similarity/similarityPanel.ts builds its 'load' message.
  layers = r.layers.map((l) => ({ name: l.name, rows: l.rows, cols: l.cols, channels: l.channels, nonNegative: l.nonNegative }));
  images = r.images.map((im, b) => ({
    id: `i${b}`, name: path.basename(im.path), path: im.path, width: im.width, height: im.height, rgb: im.rgb,
    vectors: r.layers.map((l) => { const n = l.rows * l.cols * l.channels; return l.vectors.subarray(b * n, (b + 1) * n); }),
  }));
});
after(() => loaded.model.dispose());

test('the webview\'s hover maps equal the engine\'s direct computation at both layers (probe rescaled 28 → 14)', async () => {
  const model = new SimilarityModel();
  model.load(layers, images, false);
  const pre = resolvePreprocessing(loaded.preprocessing, loaded.model.info.inputShape);
  const inputs = await Promise.all(PHOTOS.map(async (f) => imageToInput(await decodeImage(f), pre)));
  const x = tf.concat(inputs, 0);
  const acts = tf.tidy(() => loaded.model.forward(x, layers.map((l) => l.name)));
  try {
    for (const probe of [{ layer: 0, image: 1, row: 13, col: 20 }, { layer: 1, image: 0, row: 3, col: 11 }]) {
      const h = model.compute(probe);
      assert.deepEqual(h.cells, probe.layer === 0 ? [{ row: 13, col: 20 }, { row: 7, col: 10 }] : [{ row: 6, col: 22 }, { row: 3, col: 11 }]);
      for (let k = 0; k < layers.length; k++) {
        const d = directCosineMaps(acts[layers[k].name] as tf.Tensor4D, { image: probe.image, ...h.cells[k] });
        const want = (await d.data()) as Float32Array;
        d.dispose();
        const n = layers[k].rows * layers[k].cols;
        let worst = 0;
        for (let b = 0; b < images.length; b++) for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(h.maps[k][b][i] - want[b * n + i]));
        assert.ok(worst < 1e-5, `${layers[k].name}, probe ${JSON.stringify(probe)}: max |webview − direct| = ${worst}`);
        const self = h.maps[k][probe.image][h.cells[k].row * layers[k].cols + h.cells[k].col];
        assert.ok(Math.abs(self - 1) < 2e-4, `self-similarity ${self}`);
      }
    }
  } finally {
    tf.dispose([x, ...inputs, ...Object.values(acts)]);
  }
});

test('images are appended and removed in place; probes outside the grids are refused', () => {
  const model = new SimilarityModel();
  model.load(layers, [images[0]], false);
  model.load(layers, [images[1], images[0]], true); // a re-sent image is not added twice
  assert.deepEqual(model.images.map((i) => i.id), ['i0', 'i1']);
  const before = model.compute({ layer: 1, image: 1, row: 2, col: 2 }).maps[1][1].slice();
  assert.equal(model.remove('i0'), 0);
  assert.equal(model.remove('nope'), -1);
  const after = model.compute({ layer: 1, image: 0, row: 2, col: 2 }).maps[1][0];
  assert.deepEqual(Array.from(after), Array.from(before), 'the remaining image\'s map is unchanged');
  assert.equal(model.isInside({ layer: 1, image: 1, row: 0, col: 0 }), false);
  assert.equal(model.isInside({ layer: 1, image: 0, row: 14, col: 0 }), false);
  assert.throws(() => model.compute({ layer: 2, image: 0, row: 0, col: 0 }), RangeError);
});

test('normalisation ranges: raw cosine fixed, min–max over all images, per image', () => {
  const maps = [Float32Array.of(0.2, 0.5, 1), Float32Array.of(0.4, 0.9, 0.6)];
  assert.deepEqual(mapRanges(maps, 'raw', true), [[0, 1], [0, 1]]);
  assert.deepEqual(mapRanges(maps, 'raw', false), [[-1, 1], [-1, 1]]);
  const all = mapRanges(maps, 'minmax', true);
  assert.deepEqual(all.map((r) => r.map((v) => +v.toFixed(6))), [[0.2, 1], [0.2, 1]]);
  assert.deepEqual(mapRanges(maps, 'perImage', true).map((r) => r.map((v) => +v.toFixed(6))), [[0.2, 1], [0.4, 0.9]]);
});

test('painting: values through the colour table, clipped, and the probe cell yellow', () => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.fill(i, 3 * i, 3 * i + 3); // grey
  const px = new Uint8ClampedArray(4 * 4);
  paintMap(px, Float32Array.of(0, 0.5, 2, -1), [0, 1], lut, 3);
  assert.deepEqual(Array.from(px.subarray(0, 12)), [0, 0, 0, 255, 127, 127, 127, 255, 255, 255, 255, 255]);
  assert.deepEqual(Array.from(px.subarray(12, 15)), [...PROBE_RGB]);
});

test('messages are validated: typed arrays of the right sizes only, known types only', () => {
  const load = { type: 'load', model: { name: 'm', spec: { path: '/m.json' } }, layers, images, append: false, elapsedMs: 1, backend: 'wasm' };
  assert.equal(validateToSimilarityPanel(load).type, 'load');
  const short = { ...images[0], vectors: [images[0].vectors[0].subarray(1), images[0].vectors[1]] };
  assert.throws(() => validateToSimilarityPanel({ ...load, images: [short] }), /vectors of conv_pw_5_relu/);
  assert.throws(() => validateToSimilarityPanel({ ...load, images: [{ ...images[0], rgb: Array.from(images[0].rgb) }] }), /rgb/);
  assert.throws(() => validateToSimilarityPanel({ ...load, images: [{ ...images[0], id: '../x' }] }), /id/);
  assert.throws(() => validateToSimilarityPanel({ type: 'eval', code: '1' }), /unknown type/);
  assert.deepEqual(validateFromSimilarityPanel({ type: 'remove', id: 'i0', extra: 1 }), { type: 'remove', id: 'i0' });
  assert.throws(() => validateFromSimilarityPanel({ type: 'exportPng', png: 'not png' }), /PNG/);
  assert.throws(() => validateFromSimilarityPanel({ type: 'dropUris', uris: [1] }), /uris/);
  const state = { version: 1, model: { name: 'm', spec: { path: '/m.json' } }, layers: ['conv_pw_5_relu'], imagePaths: PHOTOS, view: { normalisation: 'bogus', colormap: 'turbo', opacity: 3, pinned: { layer: 0, image: 1, row: 2, col: 3 } } };
  assert.deepEqual(validateSimilarityState(state)?.view, { normalisation: 'raw', colormap: 'turbo', opacity: 0.7, pinned: { layer: 0, image: 1, row: 2, col: 3 } });
  assert.equal(validateSimilarityState({ ...state, version: 0 }), null);
  assert.equal(validateSimilarityState({ ...state, imagePaths: [3] }), null);
});
