// The pure helpers of "Run Pointing Game…" / "Run on Slurm…" (src/extension/cluster/clusterCommandLine.ts): sbatch
// and node found on a given PATH (real executables in a temp folder), the CLI argument lists, and reading what the CLI
// prints, the watched jobs' poll states and what of them survives a window reload. The argument lists are checked
// against the real CLI too: `slurm pointing` without --submit writes the scripts, which must carry every flag through.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  afterPoll, checkArraySize, checkTimeLimit, EMPTY_POLLS_BEFORE_STOPPED, findExecutable, modelFlags, nodeForJobs, parseProgress, parseSubmitted,
  pointingArgs, probeArgs, restorableJobs, runPlaces, slurmArgs, summarizeStatus, type WatchProgress,
} from '../../src/extension/cluster/clusterCommandLine';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-lens-cluster-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function fakeBin(dir: string, name: string, mode = 0o755): string {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, name);
  fs.writeFileSync(f, '#!/bin/sh\nexit 0\n', { mode });
  fs.chmodSync(f, mode);
  return f;
}

test('sbatch is found only where an executable file of that name is on the PATH', () => {
  const withSlurm = path.join(tmp, 'slurm-bin');
  const sbatch = fakeBin(withSlurm, 'sbatch');
  const other = path.join(tmp, 'other-bin');
  fakeBin(other, 'squeue');
  fakeBin(path.join(tmp, 'noexec'), 'sbatch', 0o644);
  fs.mkdirSync(path.join(tmp, 'dirbin', 'sbatch'), { recursive: true });
  assert.equal(findExecutable('sbatch', `${other}:${withSlurm}`, undefined, 'linux'), sbatch);
  assert.equal(findExecutable('sbatch', other, undefined, 'linux'), undefined);
  assert.equal(findExecutable('sbatch', '', undefined, 'linux'), undefined);
  assert.equal(findExecutable('sbatch', undefined, undefined, 'linux'), undefined);
  // Not executable, or a directory: not a command.
  if (process.getuid?.() !== 0) assert.equal(findExecutable('sbatch', path.join(tmp, 'noexec'), undefined, 'linux'), undefined);
  assert.equal(findExecutable('sbatch', path.join(tmp, 'dirbin'), undefined, 'linux'), undefined);
  assert.deepEqual(runPlaces(`${other}:${withSlurm}`), ['here', 'slurm']);
  assert.deepEqual(runPlaces(other), ['here']);
  // An injected check: the PATH order decides.
  const seen: string[] = [];
  assert.equal(findExecutable('sbatch', '/a:/b', (f) => { seen.push(f); return f === '/b/sbatch'; }, 'linux'), '/b/sbatch');
  assert.deepEqual(seen, ['/a/sbatch', '/b/sbatch']);
  assert.equal(findExecutable('sbatch', 'C:\\x;C:\\y', (f) => f.endsWith('sbatch.exe') && f.includes('y'), 'win32')?.endsWith('sbatch.exe'), true);
});

test('the Slurm scripts get a real node: the PATH one under Electron, the running one otherwise', () => {
  const bin = path.join(tmp, 'node-bin');
  const node = fakeBin(bin, 'node');
  assert.equal(nodeForJobs('/opt/code/code', true, bin), node);
  assert.equal(nodeForJobs('/opt/code/code', true, path.join(tmp, 'other-bin')), undefined);
  assert.equal(nodeForJobs('/usr/bin/node20', false, bin), '/usr/bin/node20');
});

const model = { path: '/m/model.json', labels: '/m/labels.txt', outputLayer: 'logits', preprocessing: { mean: [1, 2, 3] as [number, number, number], std: [4, 5, 6] as [number, number, number], channels: 'bgr' as const } };

test('pointing, probe and slurm argument lists', () => {
  assert.deepEqual(modelFlags({ path: '/m.json' }), ['--model', '/m.json']);
  assert.deepEqual(modelFlags(model), ['--model', '/m/model.json', '--labels', '/m/labels.txt', '--mean', '1,2,3', '--std', '4,5,6', '--channels', 'bgr', '--output-layer', 'logits']);
  assert.deepEqual(modelFlags({ path: '/m.json', preprocessing: { inputRange: [-1, 1] } }), ['--model', '/m.json', '--input-range', '-1,1']);
  const p = pointingArgs({ model: { path: '/m.json' }, images: '/d/img', annotations: '/d/ann.json', classMap: '/c.json', methods: ['gradcam', 'extremal'], out: '/o' });
  assert.deepEqual(p, ['pointing', '--model', '/m.json', '--images', '/d/img', '--annotations', '/d/ann.json', '--class-map', '/c.json', '--methods', 'gradcam,extremal', '--out', '/o']);
  assert.throws(() => pointingArgs({ model: { path: '/m.json' }, images: '/i', annotations: '/a', classMap: '/c', methods: [], out: '/o' }), /at least one method/);
  const q = probeArgs({ model: { path: '/m.json' }, dataset: '/b', layer: 'conv2', kind: 'both', categories: ['color'], seed: 3, out: '/o' });
  assert.deepEqual(q, ['probe', '--model', '/m.json', '--dataset', '/b', '--layer', 'conv2', '--kind', 'both', '--categories', 'color', '--seed', '3', '--out', '/o']);
  assert.deepEqual(probeArgs({ model: { path: '/m.json' }, dataset: '/b', layer: 'c', kind: 'classification', concepts: ['red', 'blue'], epochs: 5, filtersNeeded: false, batchSize: 8, out: '/o' }).slice(7),
    ['--kind', 'classification', '--concepts', 'red,blue', '--epochs', '5', '--skip-curve', '--batch-size', '8', '--out', '/o']);
  assert.deepEqual(slurmArgs(p, { array: 4, partition: 'gpu', time: '01:00:00', node: '/usr/bin/node' }),
    ['slurm', ...p, '--array', '4', '--partition', 'gpu', '--time', '01:00:00', '--node', '/usr/bin/node', '--submit']);
  assert.deepEqual(slurmArgs(q, { array: 2 }).slice(0, 2), ['slurm', 'probe']);
  assert.deepEqual(slurmArgs(q, { array: 2 }).slice(-3), ['--array', '2', '--submit']);
  assert.throws(() => slurmArgs(['explain', '--x'], { array: 2 }), /only pointing and probe/);
  assert.throws(() => slurmArgs(p, { array: 0 }), /positive integer/);
  assert.throws(() => slurmArgs(p, { array: 1.5 }), /positive integer/);
});

test('input checks of the Slurm questions', () => {
  for (const ok of ['1', '8', ' 64 ', '99999']) assert.equal(checkArraySize(ok), undefined, ok);
  for (const bad of ['0', '', '-2', '1.5', 'eight', '100000']) assert.ok(checkArraySize(bad), bad);
  for (const ok of ['', '30', '04:00:00', '1-12', '1-12:00:00', '10:30']) assert.equal(checkTimeLimit(ok), undefined, ok);
  for (const bad of ['4h', '1:2:3:4', 'x-1', '-1']) assert.ok(checkTimeLimit(bad), bad);
});

test('what the CLI prints: progress, submitted ids, status', () => {
  assert.deepEqual(parseProgress('  pointing 3/12 img_0003.png'), { done: 3, total: 12 });
  assert.equal(parseProgress('shard 0/3: 4 images done'), undefined);
  const out = 'wrote a, b\nsubmitted pointing.sbatch: job 41\nsubmitted pointing-merge.sbatch: job 42\nprogress: node cli.js status /o\n';
  assert.deepEqual(parseSubmitted(out), [{ name: 'pointing.sbatch', id: '41' }, { name: 'pointing-merge.sbatch', id: '42' }]);
  assert.deepEqual(parseSubmitted('submitted pointing.sbatch (tasks 1,2): job 7\n'), [{ name: 'pointing.sbatch', id: '7' }]);
  assert.deepEqual(parseSubmitted('sbatch: error'), []);
  const job = (j: string, done: number, total: number) => ({ job: j, count: 3, total, done, complete: done === total, incomplete: done === total ? [] : [1] });
  const running = summarizeStatus('pointing', { jobs: [job('pointing', 5, 12)], outputs: [], queue: [['1_0', 'RUNNING', 'None'], ['2', 'PENDING', 'Dependency']] });
  assert.deepEqual([running.text, running.finished, running.queued], ['pointing 5/12', false, 2]);
  // Probe: once the concepts phase has parts, it is the one shown.
  const probe = summarizeStatus('probe', { jobs: [job('probe-concepts', 2, 6), job('probe-stats', 60, 60)], outputs: ['thresholds.json'] });
  assert.deepEqual([probe.text, probe.finished, probe.queued], ['probe-concepts 2/6', false, 0]);
  assert.equal(summarizeStatus('probe', { jobs: [], outputs: [] }).text, 'probe queued');
  assert.equal(summarizeStatus('pointing', { jobs: [job('pointing', 12, 12)], outputs: ['pointing.json'] }).finished, true);
  assert.equal(summarizeStatus('probe', { jobs: [job('probe-stats', 60, 60)], outputs: ['thresholds.json'] }).finished, false);
});

test('the argument lists are the real CLI\'s: `slurm pointing` writes scripts carrying every flag', { skip: !fs.existsSync('dist/cli.js') && 'dist/cli.js not built' }, () => {
  const world = path.join(tmp, 'world');
  const w = spawnSync(process.execPath, ['dist/cli.js', 'world', '--out', world, '--count', '3', '--size', '64'], { encoding: 'utf8' });
  assert.equal(w.status, 0, w.stderr);
  const job = path.join(tmp, 'job');
  const p = pointingArgs({
    model: { path: path.resolve('media/demo-model/model.json') }, images: path.join(world, 'voc', 'JPEGImages'), annotations: path.join(world, 'voc', 'Annotations'),
    classMap: path.resolve('media/classmaps/demo_shapes.json'), methods: ['gradcam', 'gradient'], out: job,
  });
  // Without --submit: only the scripts are written.
  const args = slurmArgs(p, { array: 3, partition: 'debug', time: '00:05:00', node: process.execPath }).filter((a) => a !== '--submit');
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const script = fs.readFileSync(path.join(job, 'slurm', 'pointing.sbatch'), 'utf8');
  assert.match(script, /^#SBATCH --array=0-2$/m);
  assert.match(script, /^#SBATCH --partition=debug$/m);
  assert.match(script, /^#SBATCH --time=00:05:00$/m);
  assert.match(script, /--methods gradcam,gradient/);
  assert.ok(script.includes(path.join(world, 'voc', 'Annotations')) && script.includes('demo_shapes.json'));
});

test('a watched job is judged stopped only after its Slurm jobs were queued and then gone for several polls, and reported once', () => {
  const fresh: WatchProgress = { seenQueued: false, emptyPolls: 0, stopped: false };
  /** The states after each poll, given the number of queued Slurm jobs each poll saw. */
  const run = (from: WatchProgress, queued: number[]) => {
    const states: Array<WatchProgress & { report: boolean }> = [];
    let w = from;
    for (const q of queued) { const n = afterPoll(w, q); states.push(n); w = n; }
    return states;
  };
  // Never queued (no squeue here, or not yet submitted): never judged.
  assert.ok(run(fresh, [0, 0, 0, 0, 0]).every((s) => !s.stopped && !s.report));
  // Queued, then gone: stopped on the EMPTY_POLLS_BEFORE_STOPPED-th empty poll, reported on that poll only.
  const gone = run(fresh, [3, 1, ...Array(EMPTY_POLLS_BEFORE_STOPPED + 3).fill(0)]);
  const firstStopped = gone.findIndex((s) => s.stopped);
  assert.equal(firstStopped, 1 + EMPTY_POLLS_BEFORE_STOPPED);
  assert.deepEqual(gone.map((s) => s.report), gone.map((_, i) => i === firstStopped));
  assert.ok(gone.slice(firstStopped).every((s) => s.stopped));
  // One empty poll (the merge writing its result) does not stop it.
  assert.ok(run(fresh, [2, 0, 1, 0, 1]).every((s) => !s.stopped));
  // Queued again (resumed from a shell): running again, and a second end is reported again.
  const again = run(gone.at(-1)!, [2, ...Array(EMPTY_POLLS_BEFORE_STOPPED).fill(0)]);
  assert.deepEqual(again.map((s) => [s.stopped, s.report]), [[false, false], ...Array(EMPTY_POLLS_BEFORE_STOPPED - 1).fill([false, false]), [true, true]]);
  // Restored from the workspace state as stopped: not reported a second time.
  assert.deepEqual(run({ seenQueued: true, emptyPolls: 0, stopped: true }, [0, 0, 0]).map((s) => s.report), [false, false, false]);
});

test('watched jobs restored after a window reload: well-formed entries only, one per folder', () => {
  const a = { dir: '/jobs/a', kind: 'pointing', title: 'pointing game demo', seenQueued: true, stopped: true };
  const b = { dir: '/jobs/b', kind: 'probe', title: 'probe demo · relu3' };
  assert.deepEqual(restorableJobs([a, b]), [a, b]);
  assert.deepEqual(restorableJobs(undefined), []);
  assert.deepEqual(restorableJobs({ dir: '/jobs/a' }), []);
  assert.deepEqual(restorableJobs([null, 3, 'x', { ...a, kind: 'explain' }, { ...b, dir: '' }, { kind: 'probe', title: 't' }, { ...a, title: 1 }, b]), [b]);
  assert.deepEqual(restorableJobs([a, { ...a, dir: '/jobs/x/../a', title: 'again' }]), [a]);
  // The JSON round trip the workspace state does keeps them.
  assert.deepEqual(restorableJobs(JSON.parse(JSON.stringify([a, b]))), [a, b]);
});
