// Similarity overlays (issue #6, METHODS.md §6) on the shared MobileNet and real photos from ../shared/images:
// a cell's similarity to itself is 1; a patch pasted into another photo is found at the corresponding cell; the fast
// per-hover kernels (row-major for the CLI, channel-major for the webview, on the engine's normalised vectors) equal
// the direct formula computed from raw activations; default layer, batching, errors, cancellation, no tensor leaks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { EngineError } from '../../src/engine/errors';
import { decodeImage } from '../../src/engine/image/decodeImage';
import { imageToInput, resolvePreprocessing } from '../../src/engine/image/preprocess';
import { loadModel, type LoadedModel } from '../../src/engine/model/loadModel';
import { directCosineMaps } from '../../src/engine/similarity/cellVectors';
import { computeSimilarity, type SimilarityContext } from '../../src/engine/similarity/computeSimilarity';
import { probeChannels, toChannelMajor, weightedChannelSum } from '../../src/engine/similarity/channelMajorKernel';
import { cosineMaps, imageMap, rescaleCell, type Cell, type CellVectors } from '../../src/engine/similarity/cosineKernel';
import { defaultSimilarityLayer } from '../../src/engine/similarity/similarityLayers';
import type { SimilarityLayer, SimilarityResult } from '../../src/engine/similarity/similarityTypes';
import type { ImageSource } from '../../src/engine/worker/protocol';

const SHARED = path.resolve('../shared');
const MOBILENET = path.join(SHARED, 'models/mobilenet_v1_025/model.json');
const photo = (f: string): ImageSource => ({ kind: 'file', path: path.join(SHARED, 'images', f) });
const quiet: SimilarityContext = { isCancelled: () => false, progress: () => {} };
const asCells = (r: SimilarityResult, l: SimilarityLayer): CellVectors => ({ images: r.images.length, rows: l.rows, cols: l.cols, channels: l.channels, vectors: l.vectors });
const norm = (v: Float32Array, o: number, d: number) => { let s = 0; for (let c = 0; c < d; c++) s += v[o + c] ** 2; return Math.sqrt(s); };
const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

let loaded: LoadedModel;
let tmp: string;
let tensorsBefore: number;

before(async () => {
  await initBackend('auto');
  loaded = await loadModel({ path: MOBILENET });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-sim-'));
  tensorsBefore = tf.memory().numTensors;
});
after(() => {
  loaded.model.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('default layer: the deepest activation with a 14×14–28×28 grid (MobileNet: conv_pw_11_relu, 14×14×128)', () => {
  assert.equal(defaultSimilarityLayer(loaded.model.info), 'conv_pw_11_relu');
});

let three: SimilarityResult;
test('every cell of every image is similar to itself with cosine 1, and to nothing more', async () => {
  const progress: number[] = [];
  three = await computeSimilarity(loaded, [photo('robin.jpg'), photo('cat.png'), photo('dog.jpg')], { layers: ['conv_pw_5_relu', 'conv_pw_11_relu'], batchSize: 2 },
    { isCancelled: () => false, progress: (p) => progress.push(p.step) });
  assert.deepEqual(progress, [0, 2, 3], 'progress per batch');
  assert.deepEqual(three.layers.map((l) => [l.name, l.rows, l.cols, l.channels]), [['conv_pw_5_relu', 28, 28, 64], ['conv_pw_11_relu', 14, 14, 128]]);
  assert.deepEqual(three.images.map((i) => [path.basename(i.path), i.width, i.height, i.rgb.length]), [['robin.jpg', 224, 224, 150528], ['cat.png', 224, 224, 150528], ['dog.jpg', 224, 224, 150528]]);
  for (const l of three.layers) {
    assert.ok(l.nonNegative, `${l.name} follows a ReLU6`);
    const cells = asCells(three, l);
    let live = 0;
    for (let image = 0; image < 3; image++) {
      for (let row = 0; row < l.rows; row += 3) {
        for (let col = 0; col < l.cols; col += 3) {
          const off = ((image * l.rows + row) * l.cols + col) * l.channels;
          const n = norm(l.vectors, off, l.channels);
          const maps = cosineMaps(cells, { image, row, col });
          const self = maps[(image * l.rows + row) * l.cols + col];
          if (n === 0) { assert.equal(self, 0, 'a dead cell is similar to nothing'); continue; }
          live++;
          // ‖F‖²/(‖F‖+1e−4)²: 1 up to the ε of METHODS §6.1 and float rounding.
          assert.ok(Math.abs(self - 1) < 2e-4, `${l.name} image ${image} (${row},${col}): self-similarity ${self}`);
          let max = -Infinity, min = Infinity;
          for (const v of maps) { max = Math.max(max, v); min = Math.min(min, v); }
          assert.ok(max <= self + 1e-5, `a cell more similar than itself: ${max} > ${self}`);
          assert.ok(min >= -1e-6, `negative cosine ${min} between ReLU activations`);
        }
      }
    }
    assert.ok(live > 40, `${l.name}: only ${live} live cells sampled`);
  }
});

test('the per-hover kernel on the engine\'s vectors equals the direct formula on raw activations', async () => {
  // Raw activations computed independently of computeSimilarity: decode → preprocess → forward, as the engine does.
  const pre = resolvePreprocessing(loaded.preprocessing, loaded.model.info.inputShape);
  const inputs = await Promise.all(['robin.jpg', 'cat.png', 'dog.jpg'].map(async (f) => imageToInput(await decodeImage(path.join(SHARED, 'images', f)), pre)));
  const x = tf.concat(inputs, 0);
  tf.dispose(inputs);
  for (const l of three.layers) {
    const acts = tf.tidy(() => loaded.model.forward(x, [l.name])[l.name] as tf.Tensor4D);
    // Per image, the cell with the strongest activation (never a dead cell, whose map would be all zeros), and a fixed one.
    const cellsPerImage = l.rows * l.cols;
    const probes: Cell[] = [{ image: 0, row: 4, col: 5 }];
    for (let image = 0; image < 3; image++) {
      let best = 0, bestNorm = -1;
      for (let k = 0; k < cellsPerImage; k++) { const n = norm(l.vectors, (image * cellsPerImage + k) * l.channels, l.channels); if (n > bestNorm) { bestNorm = n; best = k; } }
      probes.push({ image, row: Math.floor(best / l.cols), col: best % l.cols });
    }
    for (const probe of probes) {
      const direct = directCosineMaps(acts, probe);
      const want = (await direct.data()) as Float32Array;
      direct.dispose();
      const got = cosineMaps(asCells(three, l), probe);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(worst < 1e-5, `${l.name} probe ${JSON.stringify(probe)}: max |kernel − direct| = ${worst}`);
      assert.ok(Math.max(...want) - Math.min(...want) > 0.15, `the maps are not flat (the comparison means something): ${Math.min(...want)}…${Math.max(...want)} for ${JSON.stringify(probe)}`);
    }
    acts.dispose();
  }
  x.dispose();
});

test('the webview\'s channel-major kernel equals the row-major one: real vectors, a dead probe cell, odd sizes', () => {
  // conv_pw_5_relu of the three photos: real ReLU sparsity; every 7th cell as probe, plus an all-zero (dead) cell.
  const l = three.layers.find((x) => x.name === 'conv_pw_5_relu')!;
  const n = l.rows * l.cols;
  const perImage = (b: number) => l.vectors.subarray(b * n * l.channels, (b + 1) * n * l.channels);
  const cm = [0, 1, 2].map((b) => toChannelMajor(perImage(b), n, l.channels));
  const idx = new Int32Array(l.channels), val = new Float32Array(l.channels), out = new Float32Array(n);
  let worst = 0, skipped = 0;
  for (let k = 0; k < 3 * n; k += 7) {
    const probe: Cell = { image: Math.floor(k / n), row: Math.floor((k % n) / l.cols), col: k % l.cols };
    const want = cosineMaps(asCells(three, l), probe);
    const nz = probeChannels(cm[probe.image], n, l.channels, k % n, idx, val);
    skipped += l.channels - nz;
    for (let b = 0; b < 3; b++) {
      weightedChannelSum(cm[b], n, idx, val, nz, out);
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(out[i] - want[b * n + i]));
    }
  }
  assert.ok(worst < 1e-5, `max |channel-major − row-major| = ${worst}`);
  assert.ok(skipped > 0, 'ReLU vectors have zero channels to skip');
  // A dead probe (all channels zero): every similarity 0, as the ε in the norms makes the direct formula give.
  const dead = new Float32Array(5 * 3); // 5 cells × 3 channels (neither a multiple of 4 nor of 16)
  dead.set([0.6, 0, 0.8, 0, 1, 0, 0.28, 0.96, 0, 1, 0, 0], 3);
  const t = toChannelMajor(dead, 5, 3);
  assert.deepEqual(Array.from(t), [0, 0.6, 0, 0.28, 1, 0, 0, 1, 0.96, 0, 0, 0.8, 0, 0, 0].map(Math.fround));
  const out5 = new Float32Array(5).fill(7);
  weightedChannelSum(t, 5, idx, val, probeChannels(t, 5, 3, 0, idx, val), out5);
  assert.deepEqual(Array.from(out5), [0, 0, 0, 0, 0]);
  const nz = probeChannels(t, 5, 3, 1, idx, val);
  assert.deepEqual([nz, Array.from(idx.subarray(0, nz))], [2, [0, 2]]);
  weightedChannelSum(t, 5, idx, val, nz, out5);
  assert.deepEqual(Array.from(out5).map((v) => +v.toFixed(4)), [0, 1, 0, 0.168, 0.6]);
  assert.throws(() => toChannelMajor(dead, 4, 3), RangeError);
});

test('a patch pasted into another photo is most similar at the corresponding cell', async () => {
  // Both pictures are written at the model's 224×224, so cells line up with pixels: stride 8 (28×28), 16 (14×14).
  const raw = async (f: string) => sharp(path.join(SHARED, 'images', f)).resize(224, 224, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const a = await raw('robin.jpg');
  const b = await raw('elephant.jpg');
  const [top, left, size, dy, dx] = [48, 48, 128, 48, -32]; // source patch and its displacement (multiples of 16)
  for (let y = 0; y < size; y++) a.copy(b, ((top + dy + y) * 224 + left + dx) * 3, ((top + y) * 224 + left) * 3, ((top + y) * 224 + left + size) * 3);
  const write = (buf: Buffer, f: string) => sharp(buf, { raw: { width: 224, height: 224, channels: 3 } }).png().toFile(path.join(tmp, f));
  await write(a, 'a.png');
  await write(b, 'b.png');
  const r = await computeSimilarity(loaded, [{ kind: 'file', path: path.join(tmp, 'a.png') }, { kind: 'file', path: path.join(tmp, 'b.png') }],
    { layers: ['conv_pw_5_relu', 'conv_pw_11_relu'] }, quiet);
  for (const l of r.layers) {
    const stride = 224 / l.rows;
    // Probe cells well inside the patch (their receptive field's centre lies in it).
    for (const [py, px] of [[top + size / 2, left + size / 2], [top + size / 2 - 16, left + size / 2 + 16]]) {
      const probe = { image: 0, row: Math.floor(py / stride), col: Math.floor(px / stride) };
      const maps = cosineMaps(asCells(r, l), probe);
      const best = argmax(imageMap(maps, l, 1));
      const want = [probe.row + dy / stride, probe.col + dx / stride];
      assert.deepEqual([Math.floor(best / l.cols), best % l.cols], want, `${l.name}: probe (${probe.row},${probe.col}) → best cell in the other photo`);
      assert.ok(imageMap(maps, l, 1)[best] > 0.7, `${l.name}: the pasted patch is similar (${imageMap(maps, l, 1)[best]})`);
    }
  }
});

test('batch size does not change the vectors', async () => {
  const imgs = [photo('car.jpg'), photo('coffee.jpg'), photo('cameraman_gray.png')];
  const one = await computeSimilarity(loaded, imgs, { batchSize: 1 }, quiet);
  const all = await computeSimilarity(loaded, imgs, { batchSize: 3 }, quiet);
  assert.equal(one.layers[0].name, 'conv_pw_11_relu');
  let worst = 0;
  for (let i = 0; i < one.layers[0].vectors.length; i++) worst = Math.max(worst, Math.abs(one.layers[0].vectors[i] - all.layers[0].vectors[i]));
  assert.ok(worst < 1e-5, `batch 1 vs 3: ${worst}`);
});

test('bad requests are refused with clear errors before any work', async () => {
  const code = (c: string, re: RegExp) => (e: unknown) => e instanceof EngineError && e.code === c && re.test(e.message);
  await assert.rejects(computeSimilarity(loaded, [], {}, quiet), code('BAD_ARGUMENT', /at least one image/));
  await assert.rejects(computeSimilarity(loaded, [photo('cat.png')], { layers: ['conv_preds'] }, quiet), code('BAD_ARGUMENT', /conv_preds.*not a spatial/));
  await assert.rejects(computeSimilarity(loaded, [photo('cat.png')], { layers: ['nope'] }, quiet), code('BAD_ARGUMENT', /not a layer of this model.*conv_pw_11_relu/));
  await assert.rejects(computeSimilarity(loaded, [photo('cat.png')], { layers: ['conv1', 'conv1'] }, quiet), code('BAD_ARGUMENT', /twice/));
  await assert.rejects(computeSimilarity(loaded, [photo('cat.png')], { batchSize: 0 }, quiet), code('BAD_ARGUMENT', /batchSize/));
  await assert.rejects(computeSimilarity(loaded, [{ kind: 'raw', path: 'x.f32', layout: 'nchw' }], {}, quiet), code('BAD_ARGUMENT', /raw tensors/));
  await assert.rejects(computeSimilarity(loaded, [photo('missing.png')], {}, quiet), code('IMAGE_NOT_FOUND', /missing\.png/));
  await assert.rejects(computeSimilarity(loaded, [photo('cat.png')], {}, { isCancelled: () => true, progress: () => {} }), code('CANCELLED', /Cancel/));
});

test('cells are rescaled between grids of different sizes as METHODS §6.3 says', () => {
  assert.deepEqual(rescaleCell(13, 0, { rows: 28, cols: 28 }, { rows: 14, cols: 14 }), [7, 0]); // round(6.5) = 7
  assert.deepEqual(rescaleCell(27, 27, { rows: 28, cols: 28 }, { rows: 14, cols: 14 }), [13, 13]); // clamped
  assert.deepEqual(rescaleCell(3, 6, { rows: 7, cols: 7 }, { rows: 28, cols: 28 }), [12, 24]);
  assert.deepEqual(rescaleCell(5, 5, { rows: 14, cols: 14 }, { rows: 14, cols: 14 }), [5, 5]);
});


test('CLI: `similarity` writes one PNG overlay per image and similarity.json with raw cosines matching the engine', async (t) => {
  if (!fs.existsSync('dist/cli.js')) { t.skip('dist/cli.js not built'); return; }
  const out = path.join(tmp, 'cli');
  const imgs = ['robin.jpg', 'cat.png', 'dog.jpg'].map((f) => path.join(SHARED, 'images', f));
  const run = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', 'similarity', ...args], { encoding: 'utf8', timeout: 120000 });
  const r = run('--model', MOBILENET, '--layer', 'conv_pw_11_relu', '--images', imgs.join(','), '--probe', 'cat.png:6,9', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'similarity.json'), 'utf8'));
  assert.deepEqual(Object.keys(json).sort(), ['grid', 'layer', 'maps', 'probe']);
  assert.equal(json.layer, 'conv_pw_11_relu');
  assert.deepEqual(json.grid, [14, 14]);
  assert.deepEqual(json.probe, { image: imgs[1], row: 6, col: 9 });
  assert.deepEqual(json.maps.map((m: { image: string }) => m.image), imgs);
  // The same numbers as the kernel on the in-process engine's vectors (three.layers[1] is conv_pw_11_relu of the same photos).
  const l = three.layers[1];
  const want = cosineMaps(asCells(three, l), { image: 1, row: 6, col: 9 });
  const got = Float32Array.from(json.maps.flatMap((m: { values: number[] }) => m.values));
  assert.equal(got.length, 3 * 14 * 14);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst < 1e-5, `CLI vs engine: ${worst}`);
  assert.ok(Math.abs(json.maps[1].values[6 * 14 + 9] - 1) < 2e-4, 'the probe is similar to itself');
  const pngs = fs.readdirSync(out).filter((f) => f.endsWith('.png')).sort();
  assert.deepEqual(pngs, ['0-robin.png', '1-cat.png', '2-dog.png']);
  const probePng = await sharp(path.join(out, '1-cat.png')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([probePng.info.width, probePng.info.height], [224, 224]);
  // The probe cell (rows 96–111, columns 144–159 at 16 px per cell) is tinted yellow: red and green high, blue low.
  const px = (x: number, y: number) => [...probePng.data.subarray((y * 224 + x) * probePng.info.channels, (y * 224 + x) * probePng.info.channels + 3)];
  const [rr, gg, bb] = px(152, 104);
  assert.ok(rr > 170 && gg > 170 && bb < 110, `probe cell colour ${[rr, gg, bb]}`);
  // Errors are clear and stop before any work.
  const bad = run('--model', MOBILENET, '--images', imgs.join(','), '--probe', 'cat.png:99,0', '--out', out);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /outside conv_pw_11_relu's 14×14 grid/);
  const noProbe = run('--model', MOBILENET, '--images', imgs.join(','), '--out', out);
  assert.equal(noProbe.status, 2);
  assert.match(noProbe.stderr, /--probe IMAGE:ROW,COL/);
  const unknown = run('--model', MOBILENET, '--images', imgs.join(','), '--probe', 'car.jpg:1,1', '--out', out);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /'car\.jpg' is not one of the 3 --images/);
});

test('no tensors are left behind', () => {
  assert.equal(tf.memory().numTensors, tensorsBefore);
});
