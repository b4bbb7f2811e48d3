// ONNX vs TF.js on the same weights (issue #4): load time, forward and forward+backward ms per image for the ONNX
// MobileNet and the TF.js layers MobileNet, measured interleaved in the same run; ratios ONNX ÷ TF.js.
import * as fs from 'node:fs';
import { initBackend } from '../src/engine/backend/backend';
import { loadModel } from '../src/engine/model/loadModel';
import { benchOnnx } from '../src/engine/model/onnx/benchOnnx';

const ONNX = '../shared/reference/models/mobilenet_v1_025.onnx';
const TFJS = '../shared/models/mobilenet_v1_025/model.json';

async function main() {
  if (!fs.existsSync(ONNX) || !fs.existsSync(TFJS)) { console.log('skipped: ../shared models not found'); return; }
  const info = await initBackend('auto');
  for (const [name, p] of [['onnx', ONNX], ['tfjs', TFJS]] as const) {
    const t0 = performance.now();
    const { model } = await loadModel({ path: p });
    console.log(`${name} load ${(performance.now() - t0).toFixed(0)} ms`);
    model.dispose();
  }
  const r = await benchOnnx(ONNX, TFJS, { batches: [1, 3], reps: 10 });
  console.log(`backend ${info.backend}`);
  for (const row of r.rows)
    console.log(`${row.model.padEnd(5)} batch ${row.batch}: forward ${row.forwardMs.toFixed(2)} ms/image, forward+backward ${row.forwardBackwardMs.toFixed(2)} ms/image`);
  for (const q of r.ratios)
    console.log(`ratio ONNX÷TF.js batch ${q.batch}: forward ${q.forward.toFixed(2)}×, forward+backward ${q.forwardBackward.toFixed(2)}× (target ≤ 1.2×)`);
}

main().catch((e) => { console.error(e); process.exit(1); });
