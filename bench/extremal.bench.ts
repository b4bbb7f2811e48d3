// Extremal perturbation speed (issue #10): the shared MobileNet v1 0.25 at 224 px, cat.png as TorchRay's exact
// input tensor, 3 areas, 800 iterations (CNNLENS_BENCH_ITERATIONS overrides), on the engine's backend, with the
// mask side in a second thread (the default); one thread against two over the first 100 iterations.
// Reports total wall and CPU seconds, ms per iteration, and — measured in the same process on the same batch
// shape — the network's forward+backward and the mask side (generator, pyramid, area term, SGD) alone, hence the
// share of the time spent outside the network; the mask side and the generator alone with the generator's
// WebAssembly SIMD kernel and with its JavaScript loops (ratio measured in the same run). Also runs the first
// CNNLENS_BENCH_COMPARE iterations (default 20) with the host-side loop and with the all-tensor loop it replaced.
// Reference: TorchRay 121–198 s (PyTorch, 2 threads, tcmalloc).
import * as fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend/backend';
import { loadModel } from '../src/engine/model/loadModel';
import { extremalPerturbation } from '../src/engine/methods/extremal/extremal';
import { areaTermHost, referenceZeros } from '../src/engine/methods/extremal/areaTerm';
import { HostPyramid } from '../src/engine/methods/extremal/hostPyramid';
import { type GeneratorKernel, MaskGenerator } from '../src/engine/methods/extremal/maskGenerator';
import { buildPyramid } from '../src/engine/methods/extremal/perturbationPyramid';
import { variantBatch } from '../src/engine/methods/extremal/rewards';
import { type Timing, fmt, time } from './timing';

const MODEL = '../shared/models/mobilenet_v1_025/model.json';
const INPUT = '../shared/reference/torchray/components/input.f32';
const AREAS = [0.05, 0.1, 0.2];
const TARGET = 285;

/** TorchRay's NCHW float32 input as an NHWC tensor. */
function readInput(): tf.Tensor4D {
  const buf = fs.readFileSync(INPUT);
  const nchw = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return tf.tidy(() => tf.tensor4d(nchw, [1, 3, 224, 224]).transpose([0, 2, 3, 1]) as tf.Tensor4D);
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function main() {
  if (!fs.existsSync(MODEL) || !fs.existsSync(INPUT)) { console.log('skipped: ../shared not found'); return; }
  const info = await initBackend('auto');
  const iterations = Number(process.env.CNNLENS_BENCH_ITERATIONS ?? 800);
  // The generator kernel of the full run (CNNLENS_BENCH_KERNEL=js times the JavaScript loops end to end).
  const runKernel = (process.env.CNNLENS_BENCH_KERNEL ?? 'auto') as GeneratorKernel;
  console.log(`extremal perturbation: backend ${info.backend} (${info.reason}); ${path.basename(path.dirname(MODEL))}, ` +
    `224 px, areas ${AREAS.join(', ')}, ${iterations} iterations`);
  const { model } = await loadModel({ path: MODEL });
  const input = readInput();
  const ep = { model, input, target: TARGET };
  const settings = extremalPerturbation.resolveSettings({ areas: AREAS, maxIter: iterations, progressMapsEvery: 0 }, ep);

  // Same first iterations with both loops (CPU time: the machines are shared, wall time is noisy).
  const compare = Number(process.env.CNNLENS_BENCH_COMPARE ?? 20);
  const perLoop: Record<string, number> = {};
  for (const loop of ['tensor', 'host'] as const) {
    const short = extremalPerturbation.resolveSettings({ areas: AREAS, maxIter: compare, progressMapsEvery: 0 }, ep);
    const c0 = process.cpuUsage();
    // One thread: the comparison is of the two loops, not of the overlap (measured below).
    await extremalPerturbation.run(ep, short, { loop, threads: 1 });
    perLoop[loop] = cpuMs(process.cpuUsage(c0)) / compare;
  }
  console.log(`first ${compare} iterations, CPU ms per iteration: all-tensor loop ${perLoop.tensor.toFixed(1)}, host-side loop ` +
    `${perLoop.host.toFixed(1)} (${(perLoop.tensor / perLoop.host).toFixed(2)}× faster)`);

  // One thread against two (the mask side beside the network, the default with several areas): wall time, since
  // the point is the overlap; the same first iterations, same results.
  const wallPerIteration: Record<number, number> = {};
  const overlap = Number(process.env.CNNLENS_BENCH_THREADS_COMPARE ?? 100);
  for (const threads of [1, 2] as const) {
    const short = extremalPerturbation.resolveSettings({ areas: AREAS, maxIter: overlap, progressMapsEvery: 0 }, ep);
    const w0 = performance.now();
    await extremalPerturbation.run(ep, short, { threads, generatorKernel: runKernel });
    wallPerIteration[threads] = (performance.now() - w0) / overlap;
  }
  console.log(`first ${overlap} iterations, wall ms per iteration: one thread ${wallPerIteration[1].toFixed(1)}, two threads ` +
    `${wallPerIteration[2].toFixed(1)} (${(wallPerIteration[1] / wallPerIteration[2]).toFixed(2)}× faster)`);

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await extremalPerturbation.run(ep, settings, { generatorKernel: runKernel });
  const wall = performance.now() - t0;
  const cpu = cpuMs(process.cpuUsage(cpu0));
  const perIteration = wall / iterations;

  // The two halves of one iteration, timed alone on the same shapes (minimum of repeated samples).
  const pyramid = buildPyramid(input, 'blur', 8);
  const gen = new MaskGenerator(224, 224, 7, 21, runKernel);
  const params = tf.fill([AREAS.length, 32, 32, 1], 0.5) as tf.Tensor4D;
  const images = tf.tidy(() => variantBatch(pyramid, gen.generate(params).cropped, 'preserve'));
  const network = await time(() => tf.tidy(() => {
    // Unflipped: the loop mirrors the batch on the host (HostChunk), not with tf.reverse.
    tf.grad((x: tf.Tensor) => tf.sum(model.logits(x as tf.Tensor4D).slice([0, TARGET], [-1, 1])))(images).dataSync();
  }), { samples: 15, budgetMs: 15000 });
  // The host-side mask side (what HostChunk does around the network), at parameters 0.5: every parameter strictly
  // inside (0, 1) is the generator's slowest case (early iterations); settled masks are mostly 0s and 1s.
  // Buffers are allocated once, as HostChunk does.
  const host = new HostPyramid(pyramid);
  const p = new Float32Array(AREAS.length * 32 * 32).fill(0.5);
  const cropped = new Float32Array(AREAS.length * 224 * 224);
  const batch = new Float32Array(cropped.length * 3);
  const dx = Float32Array.from({ length: batch.length }, (_, i) => Math.sin(i) * 1e-3);
  const n = 260 * 260;
  const dCropped = new Float64Array(cropped.length);
  const dFull = new Float64Array(AREAS.length * n);
  const zeros = AREAS.map((area) => referenceZeros(n, area));
  const sides: Record<'wasm' | 'js', { maskSide: Timing; generator: Timing }> = {} as never;
  for (const kernel of ['wasm', 'js'] as const satisfies GeneratorKernel[]) {
    const g = new MaskGenerator(224, 224, 7, 21, kernel);
    const ws = g.workspace(AREAS.length);
    const maskSide = await time(() => {
      g.forward(p, ws);
      for (let a = 0; a < AREAS.length; a++) {
        for (let y = 0; y < 224; y++) cropped.set(ws.full.subarray(a * n + (y + 21) * 260 + 21, a * n + (y + 21) * 260 + 245), (a * 224 + y) * 224);
      }
      host.apply(cropped, AREAS.length, false, batch, 0);
      host.backward(dx, 0, cropped, AREAS.length, false, 1, dCropped.fill(0));
      dFull.fill(0);
      AREAS.forEach((_, a) => areaTermHost(ws.full.subarray(a * n, (a + 1) * n), zeros[a], 300, dFull.subarray(a * n, (a + 1) * n)));
      g.backward(dFull, ws);
    }, { samples: 9, budgetMs: 15000 });
    // The generator alone (forward + backward), same inputs.
    const generator = await time(() => {
      g.forward(p, ws);
      g.backward(dFull, ws);
    }, { samples: 9, budgetMs: 15000 });
    sides[kernel] = { maskSide, generator };
    g.dispose();
  }
  const maskSide = sides[gen.kernel].maskSide;
  const outside = 1 - network.min / perIteration;

  console.log(`total (${(result.settings as { threads?: number }).threads ?? 1} thread(s)) ${(wall / 1000).toFixed(1)} s wall, ${(cpu / 1000).toFixed(1)} s CPU (user+system); ` +
    `${perIteration.toFixed(1)} ms per iteration (${(cpu / iterations).toFixed(1)} ms CPU)`);
  console.log(`network forward+backward, batch ${AREAS.length}: ${fmt(network)}; host mask side at parameters 0.5 (generator, ` +
    `pyramid, area term, forward+backward), generator kernel ${gen.kernel} (the run's): ${fmt(maskSide)}`);
  console.log(`mask side at parameters 0.5: wasm SIMD generator ${fmt(sides.wasm.maskSide)}, JavaScript generator ` +
    `${fmt(sides.js.maskSide)} (${(sides.js.maskSide.min / sides.wasm.maskSide.min).toFixed(2)}× faster)`);
  console.log(`generator alone (forward+backward, 3 masks): wasm SIMD ${fmt(sides.wasm.generator)}, JavaScript ` +
    `${fmt(sides.js.generator)} (${(sides.js.generator.min / sides.wasm.generator.min).toFixed(2)}× faster)`);
  console.log(`share outside the network's forward and backward: ${(100 * outside).toFixed(0)} % of the wall time ` +
    `(network ≈ ${(network.min * iterations / 1000).toFixed(1)} s of the ${(wall / 1000).toFixed(1)} s); from the two halves timed ` +
    `alone (less sensitive to load): mask side ${(100 * maskSide.min / (maskSide.min + network.min)).toFixed(0)} % of an iteration`);
  console.log(`preserved target logits ${result.scores.preserved!.map((s) => s.toFixed(2)).join(', ')} (TorchRay 3.69, 7.75, 12.53)`);
  tf.dispose([input, pyramid, params, images]);
  gen.dispose();
  model.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
