// Concept probing as a sharded job through the CLI (issue #9), on the synthetic world with the bundled demo model:
// map (activations + per-shard top values) → reduce (thresholds) → map (IoU counts and probes of each shard's
// concepts) → reduce (table). N = 1 and N = 3 must give identical tables and probes that agree to 1e-6 — and both
// must equal the ordinary unsharded `probe`; a shard resumed after a kill must not lose or double-count anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPart } from '../../src/engine/jobs/partFile';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', timeout: 180000 });
  assert.equal(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
};
const root = mkdtempSync(path.join(os.tmpdir(), 'shard-probe-'));
const dataset = path.join(root, 'world', 'broden');
const PROBE = ['--layer', 'relu3', '--dataset', dataset, '--seed', '7', '--epochs', '8', '--skip-curve'];

function sharded(dir: string, n: number): void {
  for (let i = 0; i < n; i++) cli('probe', ...PROBE, '--out', dir, '--shard', `${i}/${n}`);
  assert.match(cli('merge', '--out', dir, path.join(dir, 'parts')), /thresholds\.json/);
  // Without --phase, a job folder with thresholds runs the concepts phase.
  for (let i = 0; i < n; i++) cli('probe', ...PROBE, '--out', dir, '--shard', `${i}/${n}`);
  assert.match(cli('merge', '--out', dir, path.join(dir, 'parts')), /probe\.json/);
}

interface Scores { weights: number[]; score: number }
interface Result { thresholds: number[]; units: unknown[]; concepts: Array<{ concept: string; segmentation?: Scores; classification?: Scores; netDissect: unknown }> }
const load = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'probe.json'), 'utf8')) as Result;

function assertSameProbes(a: Result, b: Result, what: string): void {
  assert.deepEqual(b.thresholds, a.thresholds, `${what}: thresholds`);
  assert.deepEqual(b.units, a.units, `${what}: NetDissect unit labels`);
  assert.deepEqual(b.concepts.map((c) => c.concept), a.concepts.map((c) => c.concept), `${what}: concept order`);
  let worst = 0;
  a.concepts.forEach((c, i) => {
    assert.deepEqual(b.concepts[i].netDissect, c.netDissect, `${what}: ${c.concept} NetDissect`);
    for (const k of ['segmentation', 'classification'] as const) {
      assert.equal(!!b.concepts[i][k], !!c[k], `${what}: ${c.concept} ${k} ran in one and not the other`);
      if (!c[k]) continue;
      c[k]!.weights.forEach((w, j) => { worst = Math.max(worst, Math.abs(w - b.concepts[i][k]!.weights[j])); });
      worst = Math.max(worst, Math.abs(c[k]!.score - b.concepts[i][k]!.score));
    }
  });
  assert.ok(worst <= 1e-6, `${what}: probes differ by ${worst}`);
}

test('probe job: N = 1 and N = 3 give identical tables, equal to the unsharded probe', () => {
  cli('world', '--out', path.join(root, 'world'), '--count', '24', '--size', '224');
  const one = path.join(root, 'n1'), three = path.join(root, 'n3'), plain = path.join(root, 'plain');
  sharded(one, 1);
  sharded(three, 3);
  cli('probe', ...PROBE, '--cache', path.join(root, 'cache'), '--out', plain);
  const csv1 = readFileSync(path.join(one, 'probe.csv'), 'utf8');
  assert.ok(csv1.trim().split('\n').length > 10, 'the table has rows');
  assert.equal(readFileSync(path.join(three, 'probe.csv'), 'utf8'), csv1);
  assert.equal(readFileSync(path.join(plain, 'probe.csv'), 'utf8'), csv1);
  assert.deepEqual(readFileSync(path.join(three, 'activations.f32')), readFileSync(path.join(one, 'activations.f32')), 'activation rows');
  assertSameProbes(load(one), load(three), 'N=3 vs N=1');
  assertSameProbes(load(one), load(plain), 'unsharded vs N=1');
  assert.match(cli('status', three), /probe-concepts: \d+\/\d+ items \(100\.0 %\), 3\/3 shards finished/);
});

test('probe job: a killed shard resumes without losing or double-counting (stats and concepts phases)', () => {
  const three = path.join(root, 'n3');
  assert.ok(existsSync(path.join(three, 'probe.json')), 'needs the previous test\'s job');
  const before = load(three);
  const csv = readFileSync(path.join(three, 'probe.csv'), 'utf8');
  // Simulate kills: keep the header and the first item line, then a line cut in the middle.
  for (const phase of ['stats', 'concepts']) {
    const file = path.join(three, 'parts', `probe-${phase}.1-of-3.jsonl`);
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, lines.slice(0, 2).join('\n') + '\n' + lines[2].slice(0, 25));
    const cut = readPart(file);
    assert.equal(cut.items.size, 1);
    assert.equal(cut.torn, true);
    assert.match(cli('status', three), new RegExp(`probe-${phase}: .*unfinished: 1`));
  }
  // Stats first (its thresholds are recomputed: must come out identical), then the concepts.
  cli('probe', ...PROBE, '--out', three, '--shard', '1/3', '--phase', 'stats', '--resume');
  cli('merge', '--out', three, path.join(three, 'parts', 'probe-stats.0-of-3.jsonl'), path.join(three, 'parts', 'probe-stats.1-of-3.jsonl'),
    path.join(three, 'parts', 'probe-stats.2-of-3.jsonl'));
  cli('probe', ...PROBE, '--out', three, '--shard', '1/3', '--phase', 'concepts', '--resume');
  for (const phase of ['stats', 'concepts']) {
    const p = readPart(path.join(three, 'parts', `probe-${phase}.1-of-3.jsonl`));
    assert.equal(p.duplicates, 0, `${phase}: an item recorded twice`);
    assert.equal(p.torn, false);
    assert.equal(p.items.size, p.header.ids.length);
  }
  cli('merge', '--out', three, path.join(three, 'parts'));
  assert.equal(readFileSync(path.join(three, 'probe.csv'), 'utf8'), csv);
  assertSameProbes(before, load(three), 'resumed vs first run');
});
