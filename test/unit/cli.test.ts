// The CLI contract of issue #2, run as a user would (`node dist/cli.js …`, after `npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const MN = ['--model', '../shared/models/mobilenet_v1_025/model.json', '--labels', '../shared/models/imagenet_classes.json', '--input-range', '-1,1'];
const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', timeout: 120000 });

test('predict --json: cat photo → a cat class, robin → robin (15)', () => {
  for (const [img, ok] of [['cat.png', (i: number) => i >= 281 && i <= 285], ['robin.jpg', (i: number) => i === 15]] as const) {
    const r = cli('predict', ...MN, '--image', `../shared/images/${img}`, '--json', '--top', '3');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.backend, 'wasm');
    assert.equal(out.predictions.length, 3);
    assert.equal(out.logits.length, 1000);
    assert.ok(ok(out.predictions[0].index), `${img}: top-1 ${JSON.stringify(out.predictions[0])}`);
    assert.ok(out.predictions[0].probability > out.predictions[1].probability);
    assert.equal(typeof out.predictions[0].label, 'string');
  }
});

test('predict --input-raw feeds the tensor bit for bit (logits equal the TF.js reference)', async () => {
  const fs = await import('node:fs');
  const r = cli('predict', ...MN, '--input-raw', '../shared/reference/model_check/random_uniform_pm1.input.f32', '--input-layout', 'nchw', '--json');
  assert.equal(r.status, 0, r.stderr);
  const logits = JSON.parse(r.stdout).logits as number[];
  const b = fs.readFileSync('../shared/reference/model_check/random_uniform_pm1.logits_tfjs.f32');
  const ref = new Float32Array(b.buffer, b.byteOffset, 1000);
  assert.ok(Math.max(...logits.map((v, i) => Math.abs(v - ref[i]))) < 1e-4);
});

test('predict --backend cpu is honoured and agrees with wasm', () => {
  const a = JSON.parse(cli('predict', ...MN, '--image', '../shared/images/robin.jpg', '--json', '--backend', 'cpu').stdout);
  const b = JSON.parse(cli('predict', ...MN, '--image', '../shared/images/robin.jpg', '--json').stdout);
  assert.equal(a.backend, 'cpu');
  assert.ok(Math.max(...a.logits.map((v: number, i: number) => Math.abs(v - b.logits[i]))) < 1e-3);
});

test('bad invocations fail with clear messages and exit codes', () => {
  const cases: [string[], number, RegExp][] = [
    [['predict', ...MN], 2, /--image/],
    [['predict', ...MN, '--image', 'nope.png'], 2, /not found/],
    [['predict', ...MN, '--image', 'package.json'], 1, /IMAGE_UNREADABLE/],
    [['predict', ...MN, '--image', '../shared/images/robin.jpg', '--top', '0'], 2, /positive integer/],
    [['predict', '--model', 'nope/model.json', '--image', '../shared/images/robin.jpg'], 1, /MODEL_NOT_FOUND/],
    [['predict', ...MN, '--input-raw', 'package.json'], 2, /--input-layout/],
    [['predict', ...MN, '--image', '../shared/images/robin.jpg', '--channels', 'gbr'], 2, /rgb or bgr/],
    [['frobnicate'], 2, /unknown command/],
  ];
  for (const [args, code, msg] of cases) {
    const r = cli(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
});
