// The engine in its worker thread: typed requests, flat tensor counts over 20 requests, cancellation within about a
// second, and a crashed worker reported then replaced (issue #2). Needs `npm run build` (dist/engineWorker.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineHost } from '../../src/engine/host/engineHost';

const workerPath = path.resolve('dist/engineWorker.js');
const MOBILENET = { path: path.resolve('../shared/models/mobilenet_v1_025/model.json'), labels: path.resolve('../shared/models/imagenet_classes.json'), preprocessing: { inputRange: [-1, 1] as [number, number] } };

test('20 predictions keep tf.memory() flat and agree with each other', async () => {
  const host = new EngineHost({ workerPath });
  try {
    const info = await host.backendInfo();
    assert.equal(info.backend, 'wasm');
    const counts: number[] = [];
    let first: number[] | null = null;
    for (let i = 0; i < 20; i++) {
      const image = { kind: 'file' as const, path: path.resolve(`../shared/images/${i % 2 ? 'robin.jpg' : 'cat.png'}`) };
      const r = await host.request({ type: 'predict', model: MOBILENET, image, top: 3 });
      if (i === 0) first = r.logits;
      if (i % 2 === 0) assert.deepEqual(r.logits, first, 'same image, same logits');
      counts.push((await host.request({ type: 'info' })).memory.numTensors);
    }
    assert.equal(new Set(counts).size, 1, `tensor counts ${counts.join(',')}`);
  } finally { await host.dispose(); }
});

test('cancellation stops a cooperative request within about a second', async () => {
  const host = new EngineHost({ workerPath });
  try {
    await host.backendInfo();
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(host.request({ type: 'selfTest', action: 'spin', ms: 30000 }, { signal: ac.signal }), (e: any) => e.code === 'CANCELLED');
    const took = Date.now() - t0 - 300;
    assert.ok(took < 1000, `stopped ${took} ms after cancel`);
    assert.equal(host.workersStarted, 1, 'a cooperative request is stopped without restarting the worker');
    // an uncooperative one (stuck in one long computation) is stopped by restarting the worker
    const ac2 = new AbortController();
    const t1 = Date.now();
    setTimeout(() => ac2.abort(), 300);
    await assert.rejects(host.request({ type: 'selfTest', action: 'spinUncooperative', ms: 30000 }, { signal: ac2.signal }), (e: any) => e.code === 'CANCELLED');
    assert.ok(Date.now() - t1 - 300 < 1600, 'uncooperative request ended by the grace timeout');
    const after = await host.request({ type: 'info' });
    assert.equal(after.backend, 'wasm');
    assert.equal(host.workersStarted, 2);
  } finally { await host.dispose(); }
});

test('a crashed worker is reported and replaced for the next request', async () => {
  const host = new EngineHost({ workerPath });
  try {
    await host.backendInfo();
    await assert.rejects(host.request({ type: 'selfTest', action: 'crash' }), (e: any) => e.code === 'WORKER_CRASHED' && /restarted/.test(e.message));
    const r = await host.request({ type: 'predict', model: MOBILENET, image: { kind: 'file', path: path.resolve('../shared/images/robin.jpg') }, top: 1 });
    assert.equal(r.predictions[0].index, 15);
    assert.equal(host.workersStarted, 2);
  } finally { await host.dispose(); }
});

test('engine errors cross the boundary with their code', async () => {
  const host = new EngineHost({ workerPath });
  try {
    await assert.rejects(host.request({ type: 'loadModel', model: { path: '/nope/model.json' } }), (e: any) => e.code === 'MODEL_NOT_FOUND');
    await assert.rejects(host.request({ type: 'predict', model: MOBILENET, image: { kind: 'file', path: path.resolve('package.json') }, top: 1 }),
      (e: any) => e.code === 'IMAGE_UNREADABLE');
    await assert.rejects(host.request({ type: 'predict', model: MOBILENET, image: { kind: 'raw', path: path.resolve('package.json'), layout: 'nchw' }, top: 1 }),
      (e: any) => e.code === 'INPUT_INVALID' || e.code === 'BAD_ARGUMENT');
  } finally { await host.dispose(); }
});
