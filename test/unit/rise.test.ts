// RISE (METHODS.md §3.8) on the shared MobileNet against TorchRay's maps (../shared/reference/torchray/saliency):
// replaying the reference's recorded grids and shifts reproduces its masks and its 256-mask map; the seeded
// generator is deterministic, draws masks with the right statistics, and is as close to TorchRay's 8000-mask map
// as TorchRay's own 256-mask map is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../src/engine/errors';
import type { AttributionInput, AttributionProgress } from '../../src/engine/methods/attributionMethod';
import { riseMethod, riseSaliency } from '../../src/engine/methods/baselines/rise';
import { RecordedRiseDraws, SeededRiseDraws } from '../../src/engine/methods/baselines/riseDraws';
import { riseGeometry, riseMasks } from '../../src/engine/methods/baselines/riseMasks';
import { REFERENCE_DIR, maxAbsDiff, readRef } from './helpers/reference';
import { REFERENCE_IMAGES, pearson, useReferenceMobileNet } from './helpers/referenceMobileNet';

const SAL = path.join(REFERENCE_DIR, 'torchray/saliency');
const MASKS = path.join(SAL, 'rise_masks_seed0');
const N = 256;

const ref = useReferenceMobileNet();
const inputs = ref.inputs;
const recorded = () => new RecordedRiseDraws(readRef(MASKS, 'grids.f32').data, readRef(MASKS, 'shifts.f32').data, 7);

const reportLine = (s: string) => console.log(`  [rise] ${s}`);
const inputOf = (name: string, target: number): AttributionInput => ({ model: ref.model, input: inputs.get(name)!, target });

test('geometry and the first recorded mask (reflect pad, bilinear align_corners=False, crop)', () => {
  const g = riseGeometry(224, 224, 7);
  assert.deepEqual([g.cellHeight, g.upsampledHeight, g.offsetY], [32, 333, 37]);
  const before = tf.memory().numTensors;
  const m = riseMasks(recorded().next(1), g);
  const got = m.dataSync() as Float32Array;
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
  const d = maxAbsDiff(got, readRef(MASKS, 'first_mask.f32').data);
  reportLine(`first mask max |Δ| = ${d.toExponential(2)}`);
  assert.ok(d < 1e-5, `max |Δ| ${d}`);
});

for (const im of REFERENCE_IMAGES) {
  test(`${im.name}: the recorded masks reproduce TorchRay's 256-mask map`, async () => {
    const before = tf.memory().numTensors;
    const t0 = Date.now();
    const { saliency, logit } = await riseSaliency(inputOf(im.name, im.target), { numMasks: N, numCells: 7, batchSize: 32 }, recorded());
    const got = saliency.dataSync() as Float32Array;
    saliency.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    const want = readRef(path.join(SAL, im.name), 'rise_n256.f32').data;
    const c = pearson(got, want), d = maxAbsDiff(got, want);
    reportLine(`${im.name} recorded masks, N=${N}: r=${c.toFixed(6)}, max |Δ| ${d.toExponential(2)} (map range ≈ 0.42–0.54), logit ${logit.toFixed(3)}, ${Date.now() - t0} ms`);
    assert.ok(c >= 0.999, `Pearson ${c}`);
    // Probabilities ~0.5 averaged over 256 masks; float32 differences in the logits stay far below this.
    assert.ok(d < 1e-4, `max |Δ| ${d}`);
  });
}

/** Mean of the first `n` masks of a draw source, [H·W]. */
function meanMask(draws: RecordedRiseDraws | SeededRiseDraws, n: number): Float32Array {
  const g = riseGeometry(224, 224, 7);
  const sum = new Float32Array(224 * 224);
  for (let done = 0; done < n; done += 32) {
    const m = riseMasks(draws.next(Math.min(32, n - done)), g);
    const d = m.dataSync();
    m.dispose();
    for (let i = 0; i < d.length; i++) sum[i % sum.length] += d[i] / n;
  }
  return sum;
}
const meanOf = (a: ArrayLike<number>) => { let t = 0; for (let i = 0; i < a.length; i++) t += a[i]; return t / a.length; };
const stdOf = (a: ArrayLike<number>) => { const m = meanOf(a); let t = 0; for (let i = 0; i < a.length; i++) t += (a[i] - m) ** 2; return Math.sqrt(t / a.length); };

test('seeded RISE (the method): defaults, progress, determinism; statistics as TorchRay at equal count', async () => {
  const im = REFERENCE_IMAGES[0];
  const input = inputOf(im.name, im.target);
  assert.deepEqual(riseMethod.resolveSettings({}, input), { numMasks: 8000, numCells: 7, p: 0.5, batchSize: 32, seed: 0 });
  const before = tf.memory().numTensors;
  const progress: AttributionProgress[] = [];
  const r = await riseMethod.run(input, riseMethod.resolveSettings({ numMasks: N }, input), { onProgress: (p) => progress.push(p) });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.deepEqual(progress.map((p) => [p.step, p.total]), Array.from({ length: N / 32 }, (_, i) => [i, N / 32]));
  assert.equal(progress.at(-1)!.maps?.[0].data.length, 224 * 224, 'the last progress report carries the map');
  const map = r.maps[0];
  assert.deepEqual([map.name, map.width, map.height], ['rise', 224, 224]);
  assert.ok(Math.abs(r.scores.original - 14.3191) < 1e-3, `clean logit ${r.scores.original}`);
  const again = await riseMethod.run(input, riseMethod.resolveSettings({ numMasks: N }, input), {});
  assert.deepEqual(again.maps[0].data, map.data, 'same seed, same map');

  // On this MobileNet sigmoid(logit) stays ≈ 1 under almost every mask (cat logit 14.3, robin 26.9), so a RISE map is
  // essentially the mean of its masks: TorchRay's 256- and 8000-mask maps are uncorrelated with each other, and
  // our independently drawn masks cannot correlate with theirs. What can be compared at equal count is the map's
  // level and spread (Monte-Carlo statistics), and that each map is its own masks' mean.
  const ref256 = readRef(path.join(SAL, im.name), 'rise_n256.f32').data;
  const ref8000 = readRef(path.join(SAL, im.name), 'rise.f32').data;
  const refMean = meanMask(recorded(), N);
  const ourMean = meanMask(new SeededRiseDraws(0, { numCells: 7, p: 0.5, cellHeight: 32, cellWidth: 32 }), N);
  const c = {
    oursTR8000: pearson(map.data, ref8000), tr256TR8000: pearson(ref256, ref8000), oursTR256: pearson(map.data, ref256),
    tr256Masks: pearson(ref256, refMean), oursMasks: pearson(map.data, ourMean),
  };
  reportLine(`cat seeded N=${N}: r(ours, TR8000)=${c.oursTR8000.toFixed(3)}, r(TR256, TR8000)=${c.tr256TR8000.toFixed(3)}, r(ours, TR256)=${c.oursTR256.toFixed(3)}; ` +
    `r(TR256, mean of its masks)=${c.tr256Masks.toFixed(4)}, r(ours, mean of our masks)=${c.oursMasks.toFixed(4)}; ` +
    `mean ${meanOf(map.data).toFixed(4)} vs ${meanOf(ref256).toFixed(4)}, std ${stdOf(map.data).toFixed(4)} vs ${stdOf(ref256).toFixed(4)}; ${r.elapsedMs} ms`);
  assert.ok(c.tr256Masks > 0.95 && c.oursMasks > 0.95, 'both maps follow their own masks');
  // Level and spread at equal count, against the spread of TorchRay's own masks: over the 31 disjoint blocks of 256 of
  // the 8000 recorded masks (computed offline from grids.f32/shifts.f32 with this file's mask construction), the
  // mean of 256 masks has a pixel mean of 0.4990 ± 0.0058 and a pixel std of 0.0198 ± 0.0028 (TR's first block,
  // rise_n256: 0.4912 and 0.0238). Ours must fall within 4 of those standard deviations.
  const mean = meanOf(map.data), std = stdOf(map.data);
  assert.ok(Math.abs(mean - 0.4990) < 4 * 0.0058, `pixel mean ${mean}`);
  assert.ok(Math.abs(std - 0.0198) < 4 * 0.0028, `pixel std ${std}`);
});

test('seeded draws: other seeds give other masks; grid, shift and mask statistics as the recorded ones', async () => {
  const spec = { numCells: 7, p: 0.5, cellHeight: 32, cellWidth: 32 };
  const a = new SeededRiseDraws(0, spec).next(8000), b = new SeededRiseDraws(1, spec).next(8000);
  // Pixel-value histograms of 256 masks from each source (10 bins on [0, 1]).
  const g = riseGeometry(224, 224, 7);
  const histogram = (draws: RecordedRiseDraws | SeededRiseDraws) => {
    const hist = new Float64Array(10);
    for (let k = 0; k < 8; k++) {
      const m = riseMasks(draws.next(32), g);
      const d = m.dataSync();
      m.dispose();
      for (let i = 0; i < d.length; i++) hist[Math.min(9, Math.floor(d[i] * 10))] += 1 / (d.length * 8);
    }
    return hist;
  };
  const hRef = histogram(recorded()), hOurs = histogram(new SeededRiseDraws(0, spec));
  const dh = maxAbsDiff(hRef, hOurs);
  reportLine(`mask value histogram, 256 masks: max bin difference ${dh.toFixed(4)} (bins ${Array.from(hRef, (v) => v.toFixed(3)).join(' ')})`);
  assert.ok(dh < 0.03, `histograms differ by ${dh}`);
  assert.notDeepEqual(a.grids.subarray(0, 49), b.grids.subarray(0, 49));
  const mean = a.grids.reduce((s, v) => s + v, 0) / a.grids.length;
  assert.ok(Math.abs(mean - 0.5) < 0.005, `P(cell = 1) ${mean}`); // σ of the mean ≈ 0.0008
  const p3 = new SeededRiseDraws(0, { ...spec, p: 0.3 }).next(2000).grids;
  assert.ok(Math.abs(p3.reduce((s, v) => s + v, 0) / p3.length - 0.3) < 0.01, 'a cell is 1 with probability p');
  for (const s of [a.rows, a.cols]) {
    assert.equal(Math.min(...s), 0);
    assert.equal(Math.max(...s), 31);
  }
  const input = inputOf('robin', 15);
  const s1 = await riseMethod.run(input, riseMethod.resolveSettings({ numMasks: 32, seed: 1 }, input), {});
  const s2 = await riseMethod.run(input, riseMethod.resolveSettings({ numMasks: 32, seed: 2 }, input), {});
  assert.ok(maxAbsDiff(s1.maps[0].data, s2.maps[0].data) > 1e-3, 'different seeds, different maps');
});

test('RISE settings validation and cancellation', async () => {
  const input = inputOf('cat', 285);
  const bad = (settings: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => riseMethod.resolveSettings(settings, input), (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT' && re.test(e.message));
  bad({ numMasks: 0 }, /'numMasks' must be ≥ 1/);
  bad({ numMasks: 10.5 }, /integer/);
  bad({ p: 0 }, /'p' must be > 0/);
  bad({ p: 1.5 }, /'p' must be ≤ 1/);
  bad({ numCells: 500 }, /'numCells' must be ≤ 224/);
  bad({ masks: 5 }, /unknown setting 'masks'/);
  assert.equal(riseMethod.resolveSettings({ seed: '3' } as any, input).seed, 3);
  const before = tf.memory().numTensors;
  let steps = 0;
  await assert.rejects(
    riseMethod.run(input, riseMethod.resolveSettings({ numMasks: 200, batchSize: 8 }, input), { onProgress: () => steps++, isCancelled: () => steps >= 3 }),
    (e: unknown) => e instanceof EngineError && e.code === 'CANCELLED');
  assert.equal(steps, 3);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked on cancel');
});
