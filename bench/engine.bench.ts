// Engine basics on the shared MobileNet v1 0.25 at 224 px: backend init, model load, forward and forward+backward
// (input gradient) per image, on wasm (with CNN Lens' kernels) and cpu, folded op graph vs the tf.layers model.
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/engine/backend/backend';
import { loadModel } from '../src/engine/model/loadModel';
import { readModelFiles } from '../src/engine/model/modelFiles';
import { fmt, time } from './timing';

const MODEL = '../shared/models/mobilenet_v1_025/model.json';

async function main() {
  if (!fs.existsSync(MODEL)) { console.log('skipped: ../shared/models/mobilenet_v1_025 not found'); return; }
  let t0 = performance.now();
  const info = await initBackend('auto');
  console.log(`backend ${info.backend} (${info.reason}); init ${(performance.now() - t0).toFixed(0)} ms`);
  const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 0) as tf.Tensor4D;
  const rows: Record<string, Record<string, number>> = {};
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    t0 = performance.now();
    const { model } = await loadModel({ path: MODEL });
    const load = performance.now() - t0;
    const xb = tf.clone(x);
    const fwd = await time(() => { tf.tidy(() => { model.logits(xb).dataSync(); }); }, { samples: backend === 'cpu' ? 3 : 9 });
    // Read inside tidy and return nothing: tidy walks a returned TypedArray element by element (ENGINE_NOTES §9).
    const bwd = await time(() => { tf.tidy(() => { tf.grad((t: tf.Tensor) => tf.sum(tf.slice(model.logits(t as tf.Tensor4D), [0, 7], [1, 1])))(xb).dataSync(); }); },
      { samples: backend === 'cpu' ? 3 : 9, warmup: 1 });
    console.log(`${backend.padEnd(5)} folded graph: load ${load.toFixed(0)} ms; forward ${fmt(fwd)}; forward+backward ${fmt(bwd)}`);
    rows[backend] = { fwd: fwd.min, bwd: bwd.min };
    model.dispose();
    xb.dispose();
  }
  await tf.setBackend('wasm');
  // The same weights as a tf.layers model, differentiated directly (what ENGINE_NOTES §3.5 advises against).
  const lm = await tfl.loadLayersModel(tf.io.fromMemory(readModelFiles(MODEL).artifacts));
  const layersBwd = await time(() => { tf.tidy(() => { tf.grad((t: tf.Tensor) => tf.sum(tf.slice(lm.apply(t, { training: false }) as tf.Tensor, [0, 7], [1, 1])))(x).dataSync(); }); },
    { samples: 5, warmup: 1 });
  console.log(`wasm  tf.layers model: forward+backward ${fmt(layersBwd)}`);
  lm.dispose();
  console.log(`ratios: wasm vs cpu forward ${(rows.cpu.fwd / rows.wasm.fwd).toFixed(1)}×, forward+backward ${(rows.cpu.bwd / rows.wasm.bwd).toFixed(1)}×; ` +
    `folded graph vs tf.layers forward+backward on wasm ${(layersBwd.min / rows.wasm.bwd).toFixed(1)}×`);
  x.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
