// Extremal perturbation speed (issue #10): the shared MobileNet v1 0.25 at 224 px, cat.png as TorchRay's exact
// input tensor, 3 areas, 800 iterations (CNNLENS_BENCH_ITERATIONS overrides), on the engine's backend.
// Reports total wall and CPU seconds, ms per iteration, and — measured in the same process on the same batch
// shape — the network's forward+backward and the mask side (generator, pyramid, area term) alone, hence the share
// of the time spent outside the network. Reference: TorchRay 121–198 s (PyTorch, 2 threads, tcmalloc).
import * as fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend/backend';
import { loadModel } from '../src/engine/model/loadModel';
import { extremalPerturbation } from '../src/engine/methods/extremal/extremal';
import { areaTerm } from '../src/engine/methods/extremal/areaTerm';
import { MaskGenerator } from '../src/engine/methods/extremal/maskGenerator';
import { buildPyramid } from '../src/engine/methods/extremal/perturbationPyramid';
import { variantBatch } from '../src/engine/methods/extremal/rewards';
import { fmt, time } from './timing';

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
  console.log(`extremal perturbation: backend ${info.backend} (${info.reason}); ${path.basename(path.dirname(MODEL))}, ` +
    `224 px, areas ${AREAS.join(', ')}, ${iterations} iterations`);
  const { model } = await loadModel({ path: MODEL });
  const input = readInput();
  const ep = { model, input, target: TARGET };
  const settings = extremalPerturbation.resolveSettings({ areas: AREAS, maxIter: iterations, progressMapsEvery: 0 }, ep);

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await extremalPerturbation.run(ep, settings);
  const wall = performance.now() - t0;
  const cpu = cpuMs(process.cpuUsage(cpu0));
  const perIteration = wall / iterations;

  // The two halves of one iteration, timed alone on the same shapes (minimum of repeated samples).
  const pyramid = buildPyramid(input, 'blur', 8);
  const gen = new MaskGenerator(224, 224, 7, 21);
  const params = tf.fill([AREAS.length, 32, 32, 1], 0.5) as tf.Tensor4D;
  const images = tf.tidy(() => variantBatch(pyramid, gen.generate(params).cropped, 'preserve'));
  const network = await time(() => tf.tidy(() => {
    tf.grad((x: tf.Tensor) => tf.sum(model.logits(tf.reverse(x as tf.Tensor4D, 2)).slice([0, TARGET], [-1, 1])))(images).dataSync();
  }), { samples: 15, budgetMs: 15000 });
  const maskSide = await time(() => tf.tidy(() => {
    tf.grad((p: tf.Tensor) => {
      const { cropped, full } = gen.generate(p as tf.Tensor4D);
      // A stand-in for the network: any scalar of the perturbed batch exercises the pyramid's backward.
      return tf.add(tf.sum(variantBatch(pyramid, cropped, 'preserve')), tf.sum(areaTerm(full, AREAS, 300)));
    })(params).dataSync();
  }), { samples: 9, budgetMs: 15000 });
  const outside = 1 - network.min / perIteration;

  console.log(`total ${(wall / 1000).toFixed(1)} s wall, ${(cpu / 1000).toFixed(1)} s CPU (user+system); ` +
    `${perIteration.toFixed(1)} ms per iteration (${(cpu / iterations).toFixed(1)} ms CPU)`);
  console.log(`network forward+backward, batch ${AREAS.length}: ${fmt(network)}; mask side (generator, pyramid, area term, ` +
    `forward+backward): ${fmt(maskSide)}`);
  console.log(`share outside the network's forward and backward: ${(100 * outside).toFixed(0)} % ` +
    `(network ≈ ${(network.min * iterations / 1000).toFixed(1)} s of the ${(wall / 1000).toFixed(1)} s)`);
  console.log(`preserved target logits ${result.scores.preserved!.map((s) => s.toFixed(2)).join(', ')} (TorchRay 3.69, 7.75, 12.53)`);
  tf.dispose([input, pyramid, params, images]);
  gen.dispose();
  model.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
