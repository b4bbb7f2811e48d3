// "Run Pointing Game…" and "Run on Slurm…" (issue #9) in a real VS Code extension host: the command is contributed;
// "Run on Slurm…" is offered only where sbatch is on the search path; "Run here" runs the pointing game on a small
// synthetic world in a child process and opens pointing.csv; and a Slurm submission (through a stand-in sbatch that
// records its calls) is followed in the status bar until the merged result appears and opens.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertInPalette, extension } from './extensionUnderTest';

const COMMAND = 'cnnLens.runPointingGame';

interface JobsInfo { jobs: Array<{ dir: string; kind: string; title: string; summary?: { text: string; done: number; total: number } }>; statusText: string }

const cli = (...args: string[]) => new Promise<string>((resolve, reject) =>
  execFile(process.execPath, [path.join(extension().extensionPath, 'dist', 'cli.js'), ...args], { timeout: 180_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
    (err, out, stderr) => (err ? reject(new Error(`cli ${args[0]} failed: ${err.message}\n${stderr}`)) : resolve(out))));

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const openCsvs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
  .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath.endsWith('pointing.csv'));

describe('Run Pointing Game… / Run on Slurm…', function () {
  this.timeout(240_000);
  let tmp = '';
  let world = '';
  let noSlurm = '';
  let fakeSlurm = '';
  const input = () => ({
    modelPath: path.join(extension().extensionPath, 'media', 'demo-model', 'model.json'),
    images: path.join(world, 'voc', 'JPEGImages'), annotations: path.join(world, 'voc', 'Annotations'),
    classMap: path.join(extension().extensionPath, 'media', 'classmaps', 'demo_shapes.json'), methods: ['gradcam'],
  });

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-lens-cluster-'));
    world = path.join(tmp, 'world');
    await cli('world', '--out', world, '--count', '6', '--size', '224');
    // A search path with node but no sbatch, and one with a stand-in sbatch in front (it logs its arguments and
    // prints job ids as `sbatch --parsable` does; nothing runs).
    noSlurm = path.join(tmp, 'bin-plain');
    fakeSlurm = path.join(tmp, 'bin-slurm');
    for (const d of [noSlurm, fakeSlurm]) fs.mkdirSync(d);
    const node = path.join(noSlurm, 'node');
    fs.writeFileSync(node, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(fakeSlurm, 'sbatch'), '#!/bin/sh\nlog="$(dirname "$0")/calls.log"\necho "$@" >> "$log"\necho $((1000 + $(wc -l < "$log")))\n', { mode: 0o755 });
  });

  after(async () => {
    for (const t of openCsvs()) await vscode.window.tabGroups.close(t);
    const concepts = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('cnnLens.concepts'));
    for (const t of concepts) await vscode.window.tabGroups.close(t);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is contributed to the palette', () => {
    assertInPalette(COMMAND, 'Run Pointing Game…');
  });

  it('offers "Run on Slurm…" only where sbatch is on the search path', async () => {
    await vscode.commands.executeCommand(COMMAND, { where: 'bogus' }); // activates the extension (and is refused)
    assert.deepEqual(await vscode.commands.executeCommand('cnnLens.cluster.placesOffered', noSlurm), ['here']);
    assert.deepEqual(await vscode.commands.executeCommand('cnnLens.cluster.placesOffered', '/nonexistent'), ['here']);
    assert.deepEqual(await vscode.commands.executeCommand('cnnLens.cluster.placesOffered', `${noSlurm}:${fakeSlurm}`), ['here', 'slurm']);
    const refused = extension().exports.notifications().find((n) => /where is 'here' or 'slurm'/.test(n.message));
    assert.ok(refused, 'a bad "where" gets a clear error');
  });

  it('"Run here" writes pointing.json and opens pointing.csv, the editor staying responsive', async () => {
    const out = path.join(tmp, 'here');
    // The host must keep running timers while the job runs: its longest pause, compared with the run's own length (a
    // job run in the host itself would pause it for about the whole run; no absolute threshold on a loaded machine).
    let maxGap = 0;
    const t0 = Date.now();
    let last = t0;
    const ticker = setInterval(() => { const now = Date.now(); maxGap = Math.max(maxGap, now - last); last = now; }, 10);
    let r: { where: string; out: string; result: string } | undefined;
    try {
      // No `where`: every input is named, so it runs here without asking (a quick pick would hang this call).
      r = await vscode.commands.executeCommand(COMMAND, { ...input(), out, searchPath: noSlurm });
    } finally { clearInterval(ticker); }
    const elapsed = Date.now() - t0;
    assert.ok(r, `the command failed: ${JSON.stringify(extension().exports.notifications().slice(-2))}`);
    assert.equal(r.where, 'here');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'pointing.json'), 'utf8'));
    assert.equal(json.images, 6);
    assert.ok(json.methods.includes('gradcam') && json.methods.includes('center'), `methods ${json.methods}`);
    assert.ok(json.pairs.all >= 6, `pairs ${JSON.stringify(json.pairs)}`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(out, 'pointing.csv'));
    assert.match(vscode.window.activeTextEditor!.document.getText(), /gradcam/);
    assert.ok(maxGap < elapsed / 2, `the extension host stalled for ${maxGap} ms of the ${elapsed} ms run`);
  });

  it('"Run on Slurm…" submits the array and its merge, and the status bar follows the job until pointing.csv opens', async () => {
    const job = path.join(tmp, 'slurm-job');
    const r = await vscode.commands.executeCommand<{ where: string; jobs: Array<{ name: string; id: string }> } | undefined>(COMMAND, {
      ...input(), out: job, where: 'slurm', slurm: { array: 2, partition: 'debug', time: '00:10:00' }, searchPath: `${fakeSlurm}:${noSlurm}:${process.env.PATH ?? ''}`,
    });
    assert.ok(r, `the command failed: ${JSON.stringify(extension().exports.notifications().slice(-2))}`);
    assert.deepEqual(r.jobs, [{ name: 'pointing.sbatch', id: '1001' }, { name: 'pointing-merge.sbatch', id: '1002' }]);
    const calls = fs.readFileSync(path.join(fakeSlurm, 'calls.log'), 'utf8').trim().split('\n');
    assert.equal(calls.length, 2);
    assert.match(calls[1], /--dependency=afterok:1001 .*pointing-merge\.sbatch$/);
    const script = fs.readFileSync(path.join(job, 'slurm', 'pointing.sbatch'), 'utf8');
    assert.match(script, /^#SBATCH --array=0-1$/m);
    assert.match(script, /^#SBATCH --partition=debug$/m);
    assert.match(script, /--methods gradcam/);

    const jobs = () => vscode.commands.executeCommand<JobsInfo>('cnnLens.cluster.jobs', { poll: true });
    let info = await jobs();
    assert.equal(info.jobs.length, 1);
    assert.match(info.statusText, /pointing/);
    // What the array tasks would do on the nodes: one shard, then the other, then the merge.
    await cli('pointing', ...pointingFlags(input()), '--out', job, '--shard', '0/2');
    info = await until('progress of shard 0', async () => { const i = await jobs(); return /pointing \d+\/6/.test(i.statusText) ? i : undefined; });
    const done0 = info.jobs[0].summary!.done;
    assert.ok(done0 >= 0 && done0 <= 6 && info.jobs[0].summary!.total === 6, info.statusText);
    await cli('pointing', ...pointingFlags(input()), '--out', job, '--shard', '1/2');
    await cli('merge', '--out', job, path.join(job, 'parts'));
    await until('the merged result to open', async () => ((await jobs()).jobs.length === 0 ? true : undefined));
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(job, 'pointing.csv'));
    // The sharded job's table is the "Run here" table (same world, model and method).
    assert.equal(fs.readFileSync(path.join(job, 'pointing.csv'), 'utf8'), fs.readFileSync(path.join(tmp, 'here', 'pointing.csv'), 'utf8'));
  });

  it('"Probe Concepts…" offers the same choice: on Slurm its merged probe.json opens in the Concepts panel', async () => {
    const job = path.join(tmp, 'probe-job');
    const probeFlags = ['--model', input().modelPath, '--dataset', path.join(world, 'broden'), '--layer', 'relu3', '--kind', 'classification',
      '--concepts', 'red,blue', '--epochs', '3', '--skip-curve'];
    const log = path.join(fakeSlurm, 'calls.log');
    const before = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').length : 0;
    const r = await vscode.commands.executeCommand('cnnLens.probeConcepts', {
      modelPath: input().modelPath, layer: 'relu3', dataset: path.join(world, 'broden'), concepts: ['red', 'blue'], kind: 'classification',
      settings: { filtersNeeded: false, classification: { epochs: 3 } },
      where: 'slurm', out: job, slurm: { array: 2 }, searchPath: `${fakeSlurm}:${noSlurm}:${process.env.PATH ?? ''}`,
    });
    assert.equal(r, undefined, 'submitted, nothing probed here');
    const calls = fs.readFileSync(log, 'utf8').trim().split('\n').slice(before);
    assert.equal(calls.length, 4, `stats → thresholds → concepts → table, got ${calls.join(' | ')}`);
    const stats = fs.readFileSync(path.join(job, 'slurm', fs.readdirSync(path.join(job, 'slurm')).find((f) => /stats.*\.sbatch$/.test(f))!), 'utf8');
    for (const flag of ['--skip-curve', '--epochs 3', '--concepts red,blue', '--kind classification']) assert.ok(stats.includes(flag), `${flag} not in the script`);
    const jobs = () => vscode.commands.executeCommand<JobsInfo>('cnnLens.cluster.jobs', { poll: true });
    assert.equal((await jobs()).jobs.filter((j) => j.kind === 'probe').length, 1);
    // The four steps as the nodes would run them.
    for (const phase of ['stats', 'concepts']) {
      for (const k of [0, 1]) await cli('probe', ...probeFlags, '--out', job, '--shard', `${k}/2`, '--phase', phase);
      await cli('merge', '--out', job, path.join(job, 'parts'));
    }
    await until('the merged probe to open', async () => ((await jobs()).jobs.length === 0 ? true : undefined));
    const panels = await vscode.commands.executeCommand<Array<{ title: string; report?: { concepts: Array<{ concept: string }> } }>>('cnnLens.probe.panels');
    const panel = panels.find((p) => p.report && p.title.includes('relu3') && p.report.concepts.length === 2);
    assert.ok(panel, `no Concepts panel with the merged result: ${JSON.stringify(panels.map((p) => p.title))}`);
    assert.deepEqual(panel.report!.concepts.map((c) => c.concept).sort(), ['blue', 'red']);
  });
});

function pointingFlags(i: { modelPath: string; images: string; annotations: string; classMap: string; methods: string[] }): string[] {
  return ['--model', i.modelPath, '--images', i.images, '--annotations', i.annotations, '--class-map', i.classMap, '--methods', i.methods.join(',')];
}
