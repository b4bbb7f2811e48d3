// ONNX backend conformance (issue #4): every official node test shipped by Debian's libonnx-testdata
// (data/node/test_*/model.onnx + test_data_set_*/{input,output}_*.pb) whose operators the loader supports must give
// the expected outputs within the ONNX backend runner's tolerances (rtol 1e-3, atol 1e-7). Tests the loader itself
// rejects as unsupported (operator, attribute variant, element type) are skipped and listed, with the reason.
// Input gradients must also exist (and be finite) through every passing test with float inputs and outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend/backend';
import { EngineError } from '../../src/engine/errors';
import { decodeOnnxModel } from '../../src/engine/model/onnx/decodeModel';
import { plain, toPlain } from '../../src/engine/model/onnx/layout';
import { OnnxExecutor } from '../../src/engine/model/onnx/onnxExecutor';
import { prepareGraph } from '../../src/engine/model/onnx/onnxGraph';
import { onnxSchema } from '../../src/engine/model/onnx/onnxSchema';
import { checkSupported } from '../../src/engine/model/onnx/opRegistry';
import { hostToTensor } from '../../src/engine/model/onnx/opsShape';
import { decodeTensor, DT, onnxTypeName, type HostTensor } from '../../src/engine/model/onnx/tensorProto';

const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
/** Element types compared exactly as ONNX defines them (double and half are computed in float32, within tolerance). */
const IO_TYPES = new Set<number>([DT.FLOAT, DT.DOUBLE, DT.FLOAT16, DT.INT32, DT.INT64, DT.BOOL]);
const RTOL = 1e-3, ATOL = 1e-7;

type Outcome = { status: 'pass'; grad: 'ok' | 'none' } | { status: 'fail'; why: string } | { status: 'skip'; why: string };

function readPb(file: string): HostTensor {
  const t = onnxSchema().lookupType('onnx.TensorProto').decode(fs.readFileSync(file));
  return decodeTensor(t, null, file);
}

function compare(got: tf.Tensor, want: HostTensor, name: string): string | null {
  const shape = got.shape;
  if (shape.length !== want.dims.length || shape.some((d, i) => d !== want.dims[i]))
    return `${name}: shape [${shape}] instead of [${want.dims}]`;
  const g = got.dataSync(), w = want.data;
  for (let i = 0; i < w.length; i++) {
    const a = Number(g[i]), b = Number(w[i]);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    if (want.dtype !== 'float32' || !(Math.abs(a - b) <= ATOL + RTOL * Math.abs(b)))
      return `${name}[${i}] = ${a}, expected ${b}`;
  }
  return null;
}

function runTest(dir: string): Outcome {
  const file = path.join(dir, 'model.onnx');
  let exec: OnnxExecutor | null = null;
  try {
    const def = decodeOnnxModel(fs.readFileSync(file), file);
    const g = prepareGraph(def, file);
    checkSupported(def.graph, def.opset, file, g.check);
    const io = [...def.graph.inputs, ...def.graph.outputs];
    const odd = io.find((v) => !IO_TYPES.has(v.elemType));
    if (odd) return { status: 'skip', why: `element type ${onnxTypeName(odd.elemType)}` };
    exec = new OnnxExecutor(g);
    const sets = fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
    let grad: 'ok' | 'none' = 'none';
    for (const set of sets) {
      const read = (kind: string) => fs.readdirSync(path.join(dir, set)).filter((f) => f.startsWith(kind)).sort((a, b) => parseInt(a.slice(kind.length + 1)) - parseInt(b.slice(kind.length + 1))).map((f) => readPb(path.join(dir, set, f)));
      const inputs = read('input'), outputs = read('output');
      const names = def.graph.outputs.map((o) => o.name);
      const failure = tf.tidy((): any => {
        const feed = Object.fromEntries(def.graph.inputs.map((v, i) => [v.name, plain(hostToTensor(inputs[i]))]));
        const r = exec!.run(feed, names);
        for (let i = 0; i < names.length; i++) {
          const why = compare(toPlain(r[names[i]]), outputs[i], names[i]);
          if (why) return why;
        }
        // Gradient of a fixed random projection of the float outputs w.r.t. the float inputs.
        const floatIn = def.graph.inputs.map((v, i) => [v.name, i] as const).filter(([, i]) => inputs[i].dtype === 'float32' && inputs[i].data.length);
        const floatOut = names.filter((n) => r[n].t.dtype === 'float32' && r[n].t.size);
        if (!floatIn.length || !floatOut.length) return null;
        const xs = floatIn.map(([, i]) => hostToTensor(inputs[i]));
        const f = (...args: tf.Tensor[]) => {
          const feed2 = { ...feed };
          floatIn.forEach(([n], k) => { feed2[n] = plain(args[k]); });
          const out = exec!.run(feed2, floatOut);
          // The zero terms keep every input on the tape (tf.grads leaks tensors when it throws for an unused input).
          return tf.addN([...floatOut.map((n, k) => { const y = toPlain(out[n]); return tf.sum(tf.mul(y, tf.randomUniform(y.shape, 0.5, 1.5, 'float32', 7 + k))); }),
            ...args.map((a) => tf.mul(tf.sum(a), 0))]);
        };
        try {
          const gs = tf.grads(f)(xs);
          const finiteIn = floatIn.every(([, i]) => Array.from(inputs[i].data).every(Number.isFinite));
          for (const gr of gs) if (finiteIn && !Array.from(gr.dataSync()).every(Number.isFinite) && !/inf|nan|pow|div|sqrt|log|reciprocal|acosh|atanh|asin|acos/.test(dir))
            return `gradient not finite`;
          grad = 'ok';
        } catch (e) {
          return `gradient failed: ${(e as Error).message}`;
        }
        return null;
      });
      if (failure) return { status: 'fail', why: `${set}: ${failure}` };
    }
    return { status: 'pass', grad };
  } catch (e) {
    if (e instanceof EngineError && e.code === 'MODEL_UNSUPPORTED') return { status: 'skip', why: e.message.replace(/^.*?: /, '').replace(/ CNN Lens supports:.*$/, '') };
    return { status: 'fail', why: (e as Error).message.replace(dir, '') };
  } finally {
    exec?.dispose();
  }
}

test('ONNX backend node tests (libonnx-testdata): every supported test passes', { skip: !fs.existsSync(NODE_TESTS) && 'apt-get install libonnx-testdata' }, async () => {
  await initBackend('auto');
  const before = tf.memory().numTensors;
  const dirs = fs.readdirSync(NODE_TESTS).filter((d) => d.startsWith('test_')).sort();
  const passed: string[] = [], noGrad: string[] = [], failed: string[] = [];
  const skipped = new Map<string, string[]>();
  const t0 = Date.now();
  const leaks: string[] = [];
  for (const d of dirs) {
    const n0 = tf.memory().numTensors;
    const r = runTest(path.join(NODE_TESTS, d));
    if (tf.memory().numTensors !== n0) leaks.push(`${d} (${tf.memory().numTensors - n0})`);
    if (r.status === 'pass') { passed.push(d); if (r.grad === 'none') noGrad.push(d); }
    else if (r.status === 'fail') failed.push(`${d}: ${r.why}`);
    else {
      const key = r.why.replace(/node '[^']*'/, 'node').replace(/first '[^']*'/, '').replace(/\(\d+ nodes?, \)/, '').trim();
      skipped.set(key, [...(skipped.get(key) ?? []), d]);
    }
  }
  const nSkipped = [...skipped.values()].reduce((a, b) => a + b.length, 0);
  console.log(`# ONNX node tests: ${passed.length} passed, ${failed.length} failed, ${nSkipped} skipped as unsupported, of ${dirs.length} (${Date.now() - t0} ms)`);
  console.log(`# PASSED (${passed.length}): ${passed.join(' ')}`);
  console.log(`# passed without a float input and output to differentiate (${noGrad.length}): ${noGrad.join(' ')}`);
  console.log(`# FAILED (${failed.length}):\n${failed.map((f) => `#   ${f}`).join('\n')}`);
  console.log(`# SKIPPED (${nSkipped}):`);
  for (const [why, list] of [...skipped].sort((a, b) => b[1].length - a[1].length)) console.log(`#   ${why} [${list.length}]: ${list.join(' ')}`);
  assert.deepEqual(leaks, [], 'tests that leaked tensors');
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  assert.deepEqual(failed, [], 'failed node tests');
  assert.ok(passed.length >= 300, `${passed.length} passed`);
});
