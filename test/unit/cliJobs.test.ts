// CLI contracts of the attribution issue (#10) and the demo: explain writes explanation.json + float32 maps + PNG
// overlays; bad arguments fail before any work; pointing runs on a synthetic VOC world; demo writes its report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MN = ['--model', '../shared/models/mobilenet_v1_025/model.json', '--labels', '../shared/models/imagenet_classes.json', '--input-range', '-1,1'];
const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', timeout: 600000 });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-cli-'));

test('explain --method gradcam writes the documented files', () => {
  const out = tmp();
  const r = cli('explain', ...MN, '--image', '../shared/images/robin.jpg', '--method', 'gradcam', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(fs.readFileSync(path.join(out, 'explanation.json'), 'utf8'));
  assert.equal(j.method, 'gradcam');
  assert.equal(j.target, 15, 'default target: top-1');
  assert.match(j.targetLabel, /robin/);
  assert.equal(j.backend, 'wasm');
  assert.equal(j.settings.layer, 'conv_pw_13_relu', 'every effective parameter, defaults included');
  assert.ok(j.elapsedMs > 0);
  assert.ok(j.scores.original > 20);
  const main = j.maps.find((m: any) => m.name === 'gradcam');
  assert.deepEqual([main.width, main.height], [224, 224]);
  assert.equal(fs.statSync(path.join(out, main.file)).size, 224 * 224 * 4);
  assert.ok(fs.existsSync(path.join(out, 'gradcam.png')));
});

test('explain --method extremal: areas, preserved scores per area, --input-raw', () => {
  const out = tmp();
  const r = cli('explain', ...MN, '--input-raw', '../shared/reference/torchray/components/input.f32', '--input-layout', 'nchw',
    '--method', 'extremal', '--areas', '0.1,0.2', '--iterations', '3', '--target', '285', '--seed', '0', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(fs.readFileSync(path.join(out, 'explanation.json'), 'utf8'));
  assert.equal(j.target, 285);
  assert.deepEqual(j.settings.areas, [0.1, 0.2]);
  assert.equal(j.settings.maxIter, 3);
  assert.equal(j.scores.preserved.length, 2);
  assert.deepEqual(j.maps.map((m: any) => m.area), [0.1, 0.2]);
  // TorchRay's clean logit for this input (reference README, components): 14.3191
  assert.ok(Math.abs(j.scores.original - 14.3191) < 1e-3, `original ${j.scores.original}`);
  for (const m of j.maps) assert.ok(fs.existsSync(path.join(out, m.file)));
});

test('explain rejects bad arguments before any work, with clear messages', () => {
  const cases: [string[], RegExp][] = [
    [['--method', 'gradcam', '--target', '1000'], /out of range.*0–999/],
    [['--method', 'gradcam', '--layer', 'nope'], /nope/],
    [['--method', 'extremal', '--areas', '1.5'], /area/],
    [['--method', 'extremal', '--iterations', '0'], /iterations/],
    [['--method', 'frobnicate'], /--method/],
  ];
  for (const [args, msg] of cases) {
    const t0 = Date.now();
    const r = cli('explain', ...MN, '--image', '../shared/images/robin.jpg', '--out', tmp(), ...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, msg, args.join(' '));
    assert.ok(Date.now() - t0 < 60000);
  }
});

test('world + pointing on the synthetic world with the demo model', () => {
  const dir = tmp();
  assert.equal(cli('world', '--out', dir, '--count', '12', '--size', '224').status, 0);
  const out = path.join(dir, 'pt');
  const r = cli('pointing', '--images', path.join(dir, 'voc/JPEGImages'), '--annotations', path.join(dir, 'voc/Annotations'),
    '--class-map', 'media/classmaps/demo_shapes.json', '--methods', 'gradcam,gradient', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(fs.readFileSync(path.join(out, 'pointing.json'), 'utf8'));
  assert.deepEqual(j.methods, ['center', 'gradcam', 'gradient']);
  assert.equal(j.pairs.all, 12);
  for (const m of j.methods) assert.ok(j.scores[m].all.mean >= 0 && j.scores[m].all.mean <= 1);
  assert.ok(j.scores.gradient.all.mean > 0.5, 'the demo model looks at the shape');
  assert.match(fs.readFileSync(path.join(out, 'pointing.csv'), 'utf8'), /^class,/);
});

test('demo writes an HTML report with overlays for every bundled image', () => {
  const out = tmp();
  const r = cli('demo', '--out', out, '--iterations', '5');
  assert.equal(r.status, 0, r.stderr);
  const report = path.join(out, 'report.html');
  assert.match(r.stdout, new RegExp(report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const html = fs.readFileSync(report, 'utf8');
  const images = JSON.parse(fs.readFileSync('media/demo-images/index.json', 'utf8')).images as { file: string }[];
  for (const im of images) assert.ok(html.includes(`<h2>${im.file}`), im.file);
  const pngs = [...html.matchAll(/src="([^"]+\.png)"/g)].map((m) => m[1]);
  assert.ok(pngs.length >= images.length * 6);
  for (const p of pngs) assert.ok(fs.existsSync(path.join(out, p)), p);
  assert.ok(html.includes('<svg'), 'area–score curve');
});
