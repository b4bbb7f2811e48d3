// "Run on Slurm…" (issue #9) in a real VS Code extension host against a REAL single-node Slurm cluster on localhost,
// started the way test/unit/slurmCluster.test.ts starts it (scripts/slurm-cluster.sh: munged, slurmctld, slurmd from
// a private folder). The command submits a 3-task pointing-game array and its merge job with the real sbatch; the
// status bar follows the real queue and the partial files until the merged pointing.csv opens, equal to a local
// unsharded run. A second job has an array task cancelled with scancel: it is reported stopped (once), stays stopped
// across a window reload (simulated: the monitor disposed as on deactivation, a new one started from the workspace
// state as on activation), "Resume on Slurm" resubmits just that shard, another reload comes while it runs, and the
// restored monitor opens the result, with nothing lost or counted twice. Skipped, saying why, without Slurm.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { listPartFiles, readPart } from '../../src/engine/jobs/partFile';
import { extension } from './extensionUnderTest';

const COMMAND = 'cnnLens.runPointingGame';
const BINARIES = ['munged', 'mungekey', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'];

interface Summary { text: string; done: number; total: number; queued: number; finished: boolean }
interface JobsInfo { jobs: Array<{ dir: string; kind: string; title: string; summary?: Summary; stopped: boolean }>; statusText: string }

/** Runs a program without blocking the extension host; resolves with its exit code and output. */
const run = (cmd: string, args: string[], timeout: number) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
  execFile(cmd, args, { timeout, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }, (err, stdout, stderr) =>
    resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: stderr || (err?.message ?? '') })));

async function cli(...args: string[]): Promise<string> {
  const r = await run(process.execPath, [path.join(extension().extensionPath, 'dist', 'cli.js'), ...args], 300_000);
  assert.equal(r.code, 0, `cli ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number, details = async () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}\n${await details()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((d) => {
  try { fs.accessSync(path.join(d, name), fs.constants.X_OK); return true; } catch { return false; }
});

const openCsvs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
  .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath.endsWith('pointing.csv'));

describe('Run on Slurm… on a real local Slurm cluster', function () {
  this.timeout(600_000);
  // Short: munge's socket path must stay under ~108 characters (the harness's TMPDIR is long).
  const clusterDir = `/tmp/cnl-vs-${process.pid}`;
  let started = false;
  let savedConf: string | undefined;
  let tmp = '';
  let world = '';
  let local = '';
  const script = () => path.join(extension().extensionPath, 'scripts', 'slurm-cluster.sh');
  const input = () => ({
    modelPath: path.join(extension().extensionPath, 'media', 'demo-model', 'model.json'),
    images: path.join(world, 'voc', 'JPEGImages'), annotations: path.join(world, 'voc', 'Annotations'),
    classMap: path.join(extension().extensionPath, 'media', 'classmaps', 'demo_shapes.json'), methods: ['gradcam'],
  });
  const jobs = (poll = true) => vscode.commands.executeCommand<JobsInfo>('cnnLens.cluster.jobs', { poll });
  const logs = async () => (await Promise.all(['slurmctld.log', 'slurmd.log'].map(async (f) => {
    const p = path.join(clusterDir, 'log', f);
    return fs.existsSync(p) ? `== ${f}\n${fs.readFileSync(p, 'utf8').split('\n').slice(-25).join('\n')}` : '';
  }))).join('\n') + `\n== squeue\n${(await run('squeue', ['-a'], 10_000)).stdout}`;
  const jobState = async (id: string) => /JobState=(\w+)/.exec((await run('scontrol', ['show', 'job', id], 10_000)).stdout)?.[1];

  before(async function () {
    this.timeout(400_000);
    const missing = BINARIES.filter((b) => !onPath(b));
    if (missing.length) {
      console.log(`[mocha] SKIP real-Slurm tests: Slurm is not installed (${missing.join(', ')} missing): apt-get install slurm-wlm munge`);
      this.skip();
    }
    const r = await run('bash', [script(), 'start', clusterDir], 120_000);
    if (r.code === 77) {
      console.log(`[mocha] SKIP real-Slurm tests: ${r.stderr.trim()}`);
      this.skip();
    }
    assert.equal(r.code, 0, `Slurm is installed but the cluster did not come up (exit ${r.code}):\n${r.stderr}`);
    started = true;
    // What a login node's environment provides (here: the private cluster's config); the extension host's CLI children
    // (sbatch through `slurm --submit`, squeue through `status`) and the jobs themselves read it.
    savedConf = process.env.SLURM_CONF;
    process.env.SLURM_CONF = path.join(clusterDir, 'slurm.conf');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-lens-slurm-'));
    world = path.join(tmp, 'world');
    await cli('world', '--out', world, '--count', '6', '--size', '224');
    local = path.join(tmp, 'local');
    const i = input();
    await cli('pointing', '--model', i.modelPath, '--images', i.images, '--annotations', i.annotations, '--class-map', i.classMap,
      '--methods', i.methods.join(','), '--out', local);
  });

  after(async function () {
    this.timeout(120_000);
    for (const t of openCsvs()) await vscode.window.tabGroups.close(t);
    if (started) {
      // Nothing of ours may keep running: cancel what is left, then stop the daemons (the script waits for them).
      await run('scancel', ['--user', os.userInfo().username], 20_000);
      await run('bash', [script(), 'stop', clusterDir], 60_000);
      if (savedConf === undefined) delete process.env.SLURM_CONF; else process.env.SLURM_CONF = savedConf;
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('submits a 3-task array and its merge with the real sbatch; the status bar follows them and the merged pointing.csv opens', async () => {
    const job = path.join(tmp, 'job3');
    const r = await vscode.commands.executeCommand<{ where: string; jobs: Array<{ name: string; id: string }> } | undefined>(COMMAND, {
      ...input(), out: job, where: 'slurm', slurm: { array: 3, time: '00:10:00' },
    });
    assert.ok(r, `the command failed: ${JSON.stringify(extension().exports.notifications().slice(-2))}`);
    assert.equal(r.where, 'slurm');
    assert.deepEqual(r.jobs.map((j) => j.name), ['pointing.sbatch', 'pointing-merge.sbatch']);
    for (const j of r.jobs) assert.match(j.id, /^\d+$/);
    assert.match(fs.readFileSync(path.join(job, 'slurm', 'pointing.sbatch'), 'utf8'), /^#SBATCH --array=0-2$/m);

    // Follow the monitor as the status bar does, recording what it showed, until the result opened (job unwatched).
    const seen: Summary[] = [];
    const texts = new Set<string>();
    await until('the merged pointing.csv to open', async () => {
      const i = await jobs();
      if (!i.jobs.length) return true;
      texts.add(i.statusText);
      const s = i.jobs[0].summary;
      if (s) seen.push(s);
      return undefined;
    }, 400_000, async () => `status texts: ${[...texts].join(' | ')}\n${await logs()}`);

    assert.ok(seen.some((s) => s.queued > 0), `the monitor never saw the jobs in squeue: ${JSON.stringify(seen.slice(0, 3))}`);
    assert.ok([...texts].every((t) => /^\$\(server-process\) pointing/.test(t)), [...texts].join(' | '));
    for (const s of seen) assert.ok(s.done <= s.total && (s.total === 0 || s.total === 6), JSON.stringify(s));
    assert.equal(await jobState(r.jobs[1].id), 'COMPLETED', `merge job:\n${await logs()}`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(job, 'pointing.csv'));
    // Exactly the local unsharded run.
    assert.equal(fs.readFileSync(path.join(job, 'pointing.csv'), 'utf8'), fs.readFileSync(path.join(local, 'pointing.csv'), 'utf8'));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(job, 'pointing.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(local, 'pointing.json'), 'utf8')));
    assert.equal(fs.readdirSync(path.join(job, 'parts')).filter((f) => /^pointing\.\d-of-3\.jsonl$/.test(f)).length, 3);
    assert.match(await cli('status', job), /pointing: 6\/6 items \(100\.0 %\), 3\/3 shards finished/);
  });

  it('a task cancelled with scancel stops the job (reported once, kept over a reload); "Resume on Slurm" resubmits only that shard; after another reload the result opens', async () => {
    const job = path.join(tmp, 'job-cancel');
    const r = await vscode.commands.executeCommand<{ jobs: Array<{ name: string; id: string }> } | undefined>(COMMAND, {
      ...input(), out: job, where: 'slurm', slurm: { array: 3 },
    });
    assert.ok(r, `the command failed: ${JSON.stringify(extension().exports.notifications().slice(-2))}`);
    const [array, merge] = r.jobs.map((j) => j.id);
    // Pending or running, task 1 is cancelled: the merge's afterok can never be met (Slurm cancels it, kill_invalid_depend).
    const c = await run('scancel', [`${array}_1`], 20_000);
    assert.equal(c.code, 0, c.stderr);

    const warnings = () => extension().exports.notifications().filter((n) => n.severity === 'warning' && n.message.includes(job));
    const stopped = await until('the job to be reported stopped', async () => {
      const i = await jobs();
      return i.jobs.find((j) => j.dir === job)?.stopped ? i : undefined;
    }, 400_000, logs);
    assert.match(stopped.statusText, /^\$\(warning\) pointing \d+\/6 stopped$/);
    assert.equal(warnings().length, 1);
    assert.match(warnings()[0].message, /left the queue without a merged result.*Resume on Slurm.*slurm resume/);
    assert.equal(fs.existsSync(path.join(job, 'pointing.json')), false, 'no merge after a failed array');
    const mergeState = await jobState(merge);
    assert.ok(mergeState === undefined || mergeState === 'CANCELLED', `merge job state ${mergeState}`);
    assert.match(await cli('status', job), /unfinished: 1\n/);
    // Stopped jobs are still polled, and not reported again; a reload keeps them stopped.
    await jobs();
    assert.equal(warnings().length, 1, 'reported twice');
    const reloaded = await vscode.commands.executeCommand<JobsInfo>('cnnLens.cluster.reloadMonitor');
    assert.deepEqual(reloaded.jobs.map((j) => [j.dir, j.stopped]), [[job, true]]);
    const before = listPartFiles(path.join(job, 'parts')).map(readPart).find((p) => p.header.shard.index === 1);

    const again = await vscode.commands.executeCommand<Array<{ name: string; id: string }> | undefined>('cnnLens.cluster.resumeJob', job);
    assert.ok(again, `resume failed: ${JSON.stringify(extension().exports.notifications().slice(-2))}`);
    assert.deepEqual(again.map((j) => j.name), ['pointing.sbatch', 'pointing-merge.sbatch']);
    const subs = JSON.parse(fs.readFileSync(path.join(job, 'slurm', 'jobs.json'), 'utf8')).submissions;
    assert.equal(subs.at(-1).jobs[0].tasks, '1', 'only the cancelled shard is resubmitted');
    assert.equal((await jobs(false)).jobs.find((j) => j.dir === job)?.stopped, false);
    // A window reload while the resumed job runs (and the poll the resume started is still under way): the new monitor
    // watches it, no longer stopped, and opens its result.
    const duringRun = await vscode.commands.executeCommand<JobsInfo>('cnnLens.cluster.reloadMonitor');
    assert.deepEqual(duringRun.jobs.map((j) => [j.dir, j.stopped]), [[job, false]]);

    await until('the reloaded monitor to open the resumed job\'s pointing.csv', async () => ((await jobs()).jobs.some((j) => j.dir === job) ? undefined : true), 400_000, logs);
    assert.equal(await jobState(again[1].id), 'COMPLETED', `merge job:\n${await logs()}`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(job, 'pointing.csv'));
    const parts = listPartFiles(path.join(job, 'parts')).map(readPart);
    assert.equal(parts.length, 3);
    for (const p of parts) {
      assert.equal(p.duplicates, 0, `${p.file}: an image recorded twice`);
      assert.equal(p.items.size, p.header.ids.length, `${p.file}: images missing`);
    }
    if (before) {
      const after = parts.find((p) => p.header.shard.index === 1)!;
      assert.deepEqual([...after.items.keys()].slice(0, before.items.size), [...before.items.keys()], 'lines written before the cancel were kept');
    }
    assert.equal(fs.readFileSync(path.join(job, 'pointing.csv'), 'utf8'), fs.readFileSync(path.join(local, 'pointing.csv'), 'utf8'));
    assert.equal(warnings().length, 1);
  });
});
