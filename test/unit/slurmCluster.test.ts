// Sharded jobs on a real single-node Slurm cluster on localhost (issue #9): scripts/slurm-cluster.sh starts munged,
// slurmctld and slurmd from a private folder; the CLI writes and submits the sbatch scripts (job array + merge with
// --dependency=afterok). Skipped, saying so, when Slurm is not installed; failing when it is but the cluster does
// not come up. Every wait is bounded. The cluster is stopped at the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listPartFiles, readPart } from '../../src/engine/jobs/partFile';

const BINARIES = ['munged', 'mungekey', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'];
const missing = BINARIES.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
const skip = missing.length ? `Slurm is not installed (${missing.join(', ')} missing): apt-get install slurm-wlm munge` : false;
if (skip) process.stdout.write(`# SKIP slurm cluster tests: ${skip}\n`);

// Short: munge's socket path must stay under ~108 characters.
const clusterDir = `/tmp/cnl-slurm-${process.pid}`;
const env = { ...process.env, SLURM_CONF: path.join(clusterDir, 'slurm.conf') };
const root = mkdtempSync(path.join(os.tmpdir(), 'slurm-jobs-'));
const sh = (cmd: string, args: string[], timeout = 60000) => spawnSync(cmd, args, { encoding: 'utf8', timeout, env });
const cli = (...args: string[]) => {
  const r = sh(process.execPath, ['dist/cli.js', ...args], 240000);
  assert.equal(r.status, 0, `cli ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
};
const logs = () => ['slurmctld.log', 'slurmd.log'].map((f) => {
  const p = path.join(clusterDir, 'log', f);
  return existsSync(p) ? `== ${f}\n${readFileSync(p, 'utf8').split('\n').slice(-30).join('\n')}` : '';
}).join('\n');

before(() => {
  if (skip) return;
  const r = spawnSync('bash', ['scripts/slurm-cluster.sh', 'start', clusterDir], { encoding: 'utf8', timeout: 90000 });
  if (r.status !== 0) throw new Error(`Slurm is installed but the cluster did not come up (exit ${r.status}):\n${r.stderr}`);
});
after(() => {
  if (skip) return;
  spawnSync('bash', ['scripts/slurm-cluster.sh', 'stop', clusterDir], { encoding: 'utf8', timeout: 60000 });
});

/** Job ids printed by `slurm … --submit` / `slurm resume … --submit`, in submission order. */
const submitted = (out: string) => [...out.matchAll(/submitted (\S+)(?: \(tasks [^)]*\))?: job (\d+)/g)].map((m) => ({ name: m[1], id: m[2] }));

/** Until none of `ids` is in the queue (finished jobs leave squeue), at most `seconds`. */
async function waitGone(ids: string[], seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const r = sh('squeue', ['-h', '-j', ids.join(','), '-o', '%i %T %r']);
    if (r.status === 0 && !r.stdout.trim()) return;
    if (Date.now() > end) assert.fail(`jobs ${ids.join(',')} still queued after ${seconds} s:\n${r.stdout}${r.stderr}\n${logs()}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

const jobState = (id: string) => /JobState=(\w+)/.exec(sh('scontrol', ['show', 'job', id]).stdout)?.[1];
const pointingJson = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'pointing.json'), 'utf8'));

function worldOf(count: number): string[] {
  const w = path.join(root, `world${count}`);
  if (!existsSync(w)) cli('world', '--out', w, '--count', String(count), '--size', '224');
  return ['--images', path.join(w, 'voc', 'JPEGImages'), '--annotations', path.join(w, 'voc', 'Annotations'),
    '--class-map', 'media/classmaps/demo_shapes.json'];
}

test('a 3-task pointing-game array and its merge job give exactly the local unsharded table', { skip }, async () => {
  const args = [...worldOf(12), '--methods', 'gradcam,gradient'];
  const local = path.join(root, 'local12');
  cli('pointing', ...args, '--out', local);
  const job = path.join(root, 'job12');
  const out = cli('slurm', 'pointing', ...args, '--out', job, '--array', '3', '--time', '00:10:00', '--submit');
  const ids = submitted(out);
  assert.deepEqual(ids.map((j) => j.name), ['pointing.sbatch', 'pointing-merge.sbatch']);
  assert.match(readFileSync(path.join(job, 'slurm', 'pointing.sbatch'), 'utf8'), /^#SBATCH --array=0-2$/m);
  await waitGone(ids.map((j) => j.id), 240);
  assert.equal(jobState(ids[1].id), 'COMPLETED', `merge job: ${sh('scontrol', ['show', 'job', ids[1].id]).stdout}\n${logs()}`);
  assert.deepEqual(pointingJson(job), pointingJson(local));
  assert.equal(readFileSync(path.join(job, 'pointing.csv'), 'utf8'), readFileSync(path.join(local, 'pointing.csv'), 'utf8'));
  assert.equal(listPartFiles(path.join(job, 'parts')).length, 3);
  assert.match(cli('status', job), /pointing: 12\/12 items \(100\.0 %\), 3\/3 shards finished[\s\S]*merged: pointing\.json/);
});

test('scancel of one array task mid-way, then `slurm resume --submit`: nothing lost, nothing counted twice', { skip }, async () => {
  // Occlusion takes about a second per image here, so a shard is cancelled with some images done and some not.
  const count = 18;
  const args = [...worldOf(count), '--methods', 'occlusion'];
  const job = path.join(root, 'job-cancel');
  const ids = submitted(cli('slurm', 'pointing', ...args, '--out', job, '--array', '3', '--submit'));
  const array = ids[0].id;
  // The victim: the first shard seen with at least one image done and at least two to go.
  const partFile = (k: number) => path.join(job, 'parts', `pointing.${k}-of-3.jsonl`);
  let victim = -1;
  let atCancel = 0;
  const end = Date.now() + 180000;
  while (victim < 0) {
    if (Date.now() > end) assert.fail(`no shard reached mid-way within 180 s\n${logs()}`);
    for (let k = 0; k < 3 && victim < 0; k++) {
      if (!existsSync(partFile(k))) continue;
      const p = readPart(partFile(k));
      if (p.items.size >= 1 && p.items.size <= p.header.ids.length - 2) {
        assert.equal(sh('scancel', [`${array}_${k}`]).status, 0);
        victim = k;
      }
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  await waitGone(ids.map((j) => j.id), 240);
  const cut = readPart(partFile(victim));
  atCancel = cut.items.size;
  assert.ok(atCancel >= 1 && atCancel < cut.header.ids.length, `shard ${victim} was not cancelled mid-way: ${atCancel}/${cut.header.ids.length}`);
  assert.equal(existsSync(path.join(job, 'pointing.json')), false, 'the merge must not run after a failed array');
  const mergeState = jobState(ids[1].id);
  assert.ok(mergeState === undefined || mergeState === 'CANCELLED', `merge job state ${mergeState}`);
  assert.match(cli('status', job), new RegExp(`unfinished: ${victim}\\b`));

  const again = submitted(cli('slurm', 'resume', job, '--submit'));
  assert.deepEqual(again.map((j) => j.name), ['pointing.sbatch', 'pointing-merge.sbatch']);
  await waitGone(again.map((j) => j.id), 240);
  assert.equal(jobState(again[1].id), 'COMPLETED', `${sh('scontrol', ['show', 'job', again[1].id]).stdout}\n${logs()}`);

  const parts = listPartFiles(path.join(job, 'parts')).map(readPart);
  for (const p of parts) {
    assert.equal(p.duplicates, 0, `${p.file}: an image recorded twice`);
    assert.equal(p.items.size, p.header.ids.length);
  }
  const resumed = parts.find((p) => p.header.shard.index === victim)!;
  assert.deepEqual([...resumed.items.keys()].slice(0, atCancel), [...cut.items.keys()], 'the lines written before the cancel were kept');
  const local = path.join(root, 'local-cancel');
  cli('pointing', ...args, '--out', local);
  assert.deepEqual(pointingJson(job), pointingJson(local));
  assert.equal(pointingJson(job).images, count);
});

test('without Slurm: --submit fails at once with a clear message (no hang)', () => {
  const args = [...worldOf(12), '--methods', 'gradcam'];
  // An empty PATH folder: no sbatch to find (the CLI runs with the absolute node path).
  const bare = { ...process.env, PATH: mkdtempSync(path.join(os.tmpdir(), 'no-slurm-')) };
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['dist/cli.js', 'slurm', 'pointing', ...args, '--out', path.join(root, 'nosl'), '--array', '2', '--submit'],
    { encoding: 'utf8', timeout: 60000, env: bare });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /'sbatch' not found: Slurm is not installed/);
  assert.ok(Date.now() - t0 < 30000);
  assert.ok(existsSync(path.join(root, 'nosl', 'slurm', 'pointing.sbatch')), 'the scripts are still written');
});
