// Extremal perturbation as an AttributionMethod: validation before work, progress, cancellation, chunking,
// resize/smooth and cleanup, on a tiny differentiable stand-in model (fast; the faithfulness checks with MobileNet
// are in extremalTrace.test.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { CancelledError, EngineError } from '../../src/engine/errors';
import type { EngineModel } from '../../src/engine/model/modelTypes';
import { type ExtremalTraceStep, extremalPerturbation } from '../../src/engine/methods/extremal/extremal';
import { HostPyramid } from '../../src/engine/methods/extremal/hostPyramid';
import { MaskGenerator } from '../../src/engine/methods/extremal/maskGenerator';
import { buildPyramid } from '../../src/engine/methods/extremal/perturbationPyramid';
import { runPipelined } from '../../src/engine/methods/extremal/pipelinedAreas';

const H = 40;
/** Scores: class 0 = mean brightness of the left half, class 1 = of the right half, class 2 = their difference. */
const model: EngineModel = {
  info: { name: 'toy', format: 'tfjs-layers', path: '', layers: [], inputShape: [H, H, 3], layout: 'nhwc', numClasses: 3,
    scoreLayer: 'logits', batchNormFolded: false, parameters: 0 },
  logits: (x) => tf.tidy(() => {
    const left = tf.mean(x.slice([0, 0, 0, 0], [-1, -1, H / 2, -1]), [1, 2, 3]);
    const right = tf.mean(x.slice([0, 0, H / 2, 0], [-1, -1, H / 2, -1]), [1, 2, 3]);
    return tf.stack([left, right, tf.sub(left, right)], 1) as tf.Tensor2D;
  }),
  forward: () => { throw new Error('unused'); },
  dispose: () => undefined,
};

let input: tf.Tensor4D;
before(async () => {
  await initBackend('auto');
  await tf.setBackend('wasm');
  // Bright stripe on the left, dark elsewhere.
  input = tf.tidy(() => tf.concat([tf.fill([1, H, 10, 3], 1), tf.fill([1, H, H - 10, 3], -1)], 2) as tf.Tensor4D);
});

test('resolveSettings fills TorchRay defaults and rejects bad values with BAD_ARGUMENT', () => {
  const ai = { model, input, target: 0 };
  const s = extremalPerturbation.resolveSettings({}, ai);
  assert.deepEqual([s.areas, s.maxIter, s.numLevels, s.step, s.sigma, s.jitter, s.variant, s.perturbation, s.reward],
    [[0.1], 800, 8, 7, 21, true, 'preserve', 'blur', 'simple']);
  const bad: Record<string, unknown>[] = [
    { areas: [0] }, { areas: [1.2] }, { areas: [] }, { areas: [0.1, 0.1] }, { maxIter: 0 }, { maxIter: 2.5 },
    { numLevels: 1 }, { step: 0 }, { sigma: -1 }, { variant: 'keep' }, { resize: [10] }, { smooth: -0.1 }, { typo: 1 },
  ];
  for (const b of bad) {
    assert.throws(() => extremalPerturbation.resolveSettings(b as never, ai),
      (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT', JSON.stringify(b));
  }
  assert.throws(() => extremalPerturbation.resolveSettings({}, { model, input, target: 3 }), /target/);
  assert.deepEqual(extremalPerturbation.resolveSettings({ areas: 0.2 as never }, ai).areas, [0.2]);
});

test('runs in chunks, streams progress, finds the bright stripe, resizes, and leaks nothing', async () => {
  const before = tf.memory().numTensors;
  const progress: number[] = [];
  let mapsSeen = 0;
  const s = extremalPerturbation.resolveSettings(
    { areas: [0.2, 0.3, 0.4], maxIter: 30, step: 4, sigma: 4, maxBatch: 2, progressMapsEvery: 10, resize: [20, 10], smooth: 0.05 },
    { model, input, target: 0 });
  // One thread: the areas are batched by maxBatch (two threads score them one at a time).
  const r = await extremalPerturbation.run({ model, input, target: 0 }, s, {
    threads: 1,
    onProgress: (p) => { progress.push(p.step); if (p.maps) mapsSeen++; assert.ok(Number.isFinite(p.terms!['reward@0.3'])); },
  });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(progress, Array.from({ length: 30 }, (_, i) => i));
  assert.equal(mapsSeen, 4, 'maps at t = 0, 10, 20 and the last iteration');
  assert.deepEqual(r.settings.chunks, [[0.2, 0.3], [0.4]]);
  assert.deepEqual(r.maps.map((m) => [m.name, m.width, m.height]), [['extremal@0.2', 20, 10], ['extremal@0.3', 20, 10], ['extremal@0.4', 20, 10]]);
  assert.deepEqual(r.histShape, [3, 2, 30]);
  // Preserving the stripe keeps the score high: the mask is larger on the left than on the right.
  for (const m of r.maps) {
    let left = 0, right = 0;
    for (let y = 0; y < m.height; y++) {
      for (let x = 0; x < m.width; x++) {
        if (x < 5) left += m.data[y * m.width + x];
        else if (x >= 10) right += m.data[y * m.width + x];
      }
    }
    assert.ok(left / 5 > right / 10, `${m.name}: left ${left / 5} right ${right / 10}`);
  }
  assert.equal(r.scores.preserved!.length, 3);
  // Left half: 10 bright and 10 dark columns.
  assert.ok(Math.abs(r.scores.original) < 1e-6, `original ${r.scores.original}`);
  // Blurring mixes the stripe with its dark surroundings and fades the borders: the left half's mean can only fall,
  // up to rounding when the blurred region holds little of the stripe (the deleted score then sits at ≈ 0).
  assert.ok(r.scores.preserved!.every((v) => v < 0) && r.scores.deleted!.every((v) => v < 0.01),
    `blurring only lowers the score here: ${r.scores.preserved} / ${r.scores.deleted}`);
});

test('cancellation stops between iterations with CancelledError and frees everything', async () => {
  const before = tf.memory().numTensors;
  let steps = 0;
  const s = extremalPerturbation.resolveSettings({ maxIter: 100, step: 4, sigma: 4, variant: 'dual' }, { model, input, target: 0 });
  await assert.rejects(extremalPerturbation.run({ model, input, target: 0 }, s, {
    onProgress: () => { steps++; },
    isCancelled: () => steps >= 3,
  }), (e: unknown) => e instanceof CancelledError);
  assert.equal(steps, 3);
  assert.equal(tf.memory().numTensors, before);
});

test('two threads (mask side beside the network) give one thread\'s results bit for bit, stream progress in order, cancel', async () => {
  for (const cfg of [
    { target: 0, variant: 'preserve', perturbation: 'blur', reward: 'simple' },
    { target: 2, variant: 'dual', perturbation: 'fade', reward: 'contrastive' },
    { target: 0, variant: 'delete', perturbation: 'blur', reward: 'simple', jitter: false },
  ] as const) {
    const { target, ...options } = cfg;
    const s = extremalPerturbation.resolveSettings(
      { ...options, areas: [0.1, 0.3, 0.5], maxIter: 12, step: 4, sigma: 4, progressMapsEvery: 5 }, { model, input, target });
    const before = tf.memory().numTensors;
    const runs: Awaited<ReturnType<typeof extremalPerturbation.run>>[] = [];
    for (const threads of [1, 2] as const) {
      const steps: number[] = [];
      const maps: number[] = [];
      const r = await extremalPerturbation.run({ model, input, target }, s, {
        threads, onProgress: (p) => { steps.push(p.step); if (p.maps) maps.push(p.step); },
      });
      assert.deepEqual(steps, Array.from({ length: 12 }, (_, i) => i), `${threads} thread(s): progress in order`);
      assert.deepEqual(maps, [0, 5, 10, 11]);
      assert.equal((r.settings as { threads: number }).threads, threads, JSON.stringify(cfg));
      runs.push(r);
    }
    assert.deepEqual(Array.from(runs[1].hist), Array.from(runs[0].hist), `hist ${JSON.stringify(cfg)}`);
    runs[0].maps.forEach((m, i) => assert.deepEqual(Array.from(runs[1].maps[i].data), Array.from(m.data), `${m.name} ${JSON.stringify(cfg)}`));
    assert.deepEqual(runs[1].scores, runs[0].scores);
    assert.equal(tf.memory().numTensors, before);
  }
  let steps = 0;
  const s = extremalPerturbation.resolveSettings({ areas: [0.1, 0.2], maxIter: 100, step: 4, sigma: 4 }, { model, input, target: 0 });
  await assert.rejects(extremalPerturbation.run({ model, input, target: 0 }, s, {
    onProgress: () => { steps++; },
    isCancelled: () => steps >= 3,
  }), (e: unknown) => e instanceof CancelledError);
});

test('the host-side loop reproduces the all-tensor loop step by step (variants, perturbations, rewards, chunks)', async () => {
  const configs = [
    { variant: 'preserve', perturbation: 'blur', reward: 'simple', target: 0 },
    { variant: 'delete', perturbation: 'fade', reward: 'contrastive', target: 1 },
    { variant: 'dual', perturbation: 'blur', reward: 'contrastive', target: 2, maxBatch: 2 },
  ] as const;
  for (const { target, ...c } of configs) {
    const s = extremalPerturbation.resolveSettings({ ...c, areas: [0.1, 0.3], maxIter: 12, step: 4, sigma: 4, progressMapsEvery: 0 },
      { model, input, target });
    const traces: Record<'host' | 'tensor', ExtremalTraceStep[]> = { host: [], tensor: [] };
    const results = {
      // One generator implementation for both (the WebAssembly kernel is compared with the JS one in
      // smoothMaxKernel.test.ts): this toy's stripe makes large plateaus of tied mask values, so float differences
      // between implementations flip which tied pixels the area term pushes, and the runs part after a step.
      host: await extremalPerturbation.run({ model, input, target }, s, { loop: 'host', generatorKernel: 'js', trace: (st) => traces.host.push(st) }),
      tensor: await extremalPerturbation.run({ model, input, target }, s, { loop: 'tensor', generatorKernel: 'js', trace: (st) => traces.tensor.push(st) }),
    };
    assert.equal(traces.host.length, traces.tensor.length);
    // Both compute the same float32 quantities; only the order of float64/float32 sums differs (the tensor loop
    // sums the area term and the pyramid gradient in float32), so they agree to float32 rounding, far below 1e-4.
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      assert.equal(a.length, b.length, what);
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-4 * Math.max(1, Math.abs(b[i])), `${c.variant}: ${what}[${i}] ${a[i]} vs ${b[i]}`);
      }
    };
    traces.host.forEach((h, i) => {
      const t = traces.tensor[i];
      assert.deepEqual([h.iteration, h.areas, h.flipped], [t.iteration, t.areas, t.flipped]);
      for (const k of ['paramsBefore', 'grad', 'paramsAfter', 'logits', 'reward', 'areaTerm'] as const) close(h[k], t[k], `t=${h.iteration} ${k}`);
    });
    close(results.host.hist, results.tensor.hist, 'hist');
    results.host.maps.forEach((m, i) => close(m.data, results.tensor.maps[i].data, `map ${i}`));
    close([...results.host.scores.preserved!, ...results.host.scores.deleted!],
      [...results.tensor.scores.preserved!, ...results.tensor.scores.deleted!], 'scores');
    // The run moved: otherwise agreement would prove nothing.
    assert.ok(traces.host.at(-1)!.paramsAfter.some((v) => v < 0.99), `${c.variant}: parameters moved`);
  }
});

test('a mask thread that crashes or exits fails the run with a clear error, and frees everything', async () => {
  const s = extremalPerturbation.resolveSettings({ areas: [0.1, 0.3], maxIter: 20, step: 4, sigma: 4 }, { model, input, target: 0 });
  const ctx = { model, target: 0, settings: s, generator: new MaskGenerator(H, H, s.step, s.sigma), pyramid: buildPyramid(input, 'blur', s.numLevels) };
  const levels = { values: new HostPyramid(ctx.pyramid).levels, shape: ctx.pyramid.shape };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-maskworker-'));
  try {
    for (const [script, expected] of [
      ['throw new Error("boom in the mask thread");', /mask thread crashed: boom in the mask thread/],
      ['process.exit(3);', /mask thread exited \(code 3\)/],
      ['require("node:worker_threads").parentPort.postMessage({ type: "input", area: "x" });', /unexpected message/],
    ] as const) {
      const file = path.join(dir, 'worker.js');
      fs.writeFileSync(file, script);
      const before = tf.memory().numTensors;
      await assert.rejects(runPipelined(file, ctx, levels, 'auto', new Float32Array(2 * 2 * 20), { onIteration: () => undefined }),
        (e: unknown) => e instanceof EngineError && expected.test(e.message), script);
      assert.equal(tf.memory().numTensors, before);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.pyramid.dispose();
    ctx.generator.dispose();
  }
});
