// Sharded, resumable jobs (issue #9) without a cluster: shard assignment, JSON-lines files that survive a kill, the
// resume/merge rules, and the pointing game split over shards — including a task killed mid-way and resumed —
// merging into exactly the unsharded result. The explain function is a stand-in (deterministic per image, class
// and method) so the test isolates the job machinery; the real engine runs in shardProbe/slurm tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { generateWorld } from '../../src/engine/datasets/syntheticWorld';
import { writeVoc } from '../../src/engine/datasets/vocWriter';
import { runPointingGame, type ExplainFn } from '../../src/engine/benchmarks/pointingRunner';
import { parseShard, shardOfId, shardOption } from '../../src/engine/jobs/shard';
import { JsonLinesAppender, readJsonLines } from '../../src/engine/jobs/jsonLines';
import { checkComplete, listPartFiles, PartWriter, readPart } from '../../src/engine/jobs/partFile';
import { mergePointing, pointingShard } from '../../src/engine/jobs/pointingJob';
import { jobProgress } from '../../src/engine/jobs/jobStatus';
import { slurmSteps } from '../../src/engine/jobs/slurmScript';

const tmp = (p: string) => mkdtempSync(path.join(os.tmpdir(), p));

test('shards: I/N parsing, every id in exactly one shard, balanced, independent of listing order', () => {
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  for (const bad of ['3/3', '-1/3', '1/0', 'a/b', '1', '1/2/3']) assert.throws(() => parseShard(bad), /shard/);
  assert.equal(shardOption(undefined, false), undefined);
  assert.deepEqual(shardOption(undefined, true), { index: 0, count: 1 }, '--resume alone: the whole job as one shard');
  const ids = Array.from({ length: 3000 }, (_, i) => `JPEGImages/2007_${String(i).padStart(6, '0')}.jpg`);
  const counts = [0, 0, 0];
  for (const id of ids) counts[shardOfId(id, 3)]++;
  assert.equal(counts.reduce((a, b) => a + b), 3000);
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 100, `unbalanced shards ${counts}`);
  // The hash of the id alone: shuffled listings, or other items added, assign it the same way.
  const shuffled = [...ids].reverse();
  assert.deepEqual(shuffled.map((id) => shardOfId(id, 3)), ids.map((id) => shardOfId(id, 3)).reverse());
  assert.equal(shardOfId('same', 7), shardOfId('same', 7));
  assert.ok(new Set(ids.slice(0, 200).map((id) => shardOfId(id, 1))).size === 1);
});

test('JSON lines: a torn last line (a kill mid-write) is ignored, and cut off before appending', () => {
  const file = path.join(tmp('jl-'), 'a.jsonl');
  const w = new JsonLinesAppender(file);
  w.append({ a: 1 }); w.append({ a: 2 }); w.close();
  appendFileSync(file, '{"a": 3, "b"');
  const r = readJsonLines(file);
  assert.deepEqual(r.records, [{ a: 1 }, { a: 2 }]);
  assert.equal(r.torn, true);
  const w2 = new JsonLinesAppender(file, r.validBytes);
  w2.append({ a: 4 }); w2.close();
  assert.deepEqual(readJsonLines(file).records, [{ a: 1 }, { a: 2 }, { a: 4 }]);
  assert.equal(readJsonLines(file).torn, false);
  writeFileSync(file, '{"a":1}\nnot json\n{"a":2}\n');
  assert.throws(() => readJsonLines(file), /line 2 is not valid JSON/);
});

test('part files: no silent overwrite, resume only with the same settings, merge refuses incomplete jobs', () => {
  const dir = tmp('parts-');
  const header = (index: number, ids: string[]) => ({ job: 'pointing' as const, shard: { index, count: 2 }, ids, total: 3, fingerprint: 'f1', params: {} });
  const a = PartWriter.open(dir, header(0, ['x', 'y']), false);
  a.item('x', 1); a.close();
  assert.throws(() => PartWriter.open(dir, header(0, ['x', 'y']), false), /pass --resume/);
  assert.throws(() => PartWriter.open(dir, { ...header(0, ['x', 'y']), fingerprint: 'f2' }, true), /other settings/);
  const again = PartWriter.open(dir, header(0, ['x', 'y']), true);
  assert.deepEqual([...again.done.keys()], ['x']);
  again.item('y', 2); again.close();
  const b = PartWriter.open(dir, header(1, ['z']), false);
  b.close();
  const parts = listPartFiles(dir).map(readPart);
  assert.equal(parts.length, 2);
  assert.throws(() => checkComplete(parts, false), /shard 1-of-2: 1 of 1 items not done \(first: z\)/);
  assert.throws(() => checkComplete(parts.slice(0, 1), false), /shard 1-of-2: no results file/);
  const progress = jobProgress(parts)[0];
  assert.deepEqual([progress.done, progress.total, progress.incomplete], [2, 3, [1]]);
  const c = PartWriter.open(dir, header(1, ['z']), true);
  c.item('z', 3); c.close();
  assert.equal(checkComplete(listPartFiles(dir).map(readPart), false).count, 2);
});

async function world(count: number): Promise<{ images: string; annotations: string; classMap: string }> {
  const dir = tmp('shard-world-');
  const voc = await writeVoc(path.join(dir, 'voc'), generateWorld(4242, count, { size: 64 }));
  const classMap = path.join(dir, 'classmap.json');
  writeFileSync(classMap, readFileSync('media/classmaps/demo_shapes.json'));
  return { images: path.join(voc.directory, 'JPEGImages'), annotations: path.join(voc.directory, 'Annotations'), classMap };
}

/** A deterministic stand-in map: its maximum sits at a pixel derived from (image, target, method). */
const standIn = (calls: string[], failAfter = Infinity): ExplainFn => async (imagePath, target, method) => {
  if (calls.length >= failAfter) throw new Error('killed');
  calls.push(`${path.basename(imagePath)}|${target}|${method}`);
  const h = createHash('sha256').update(`${path.basename(imagePath)}|${target}|${method}`).digest();
  const data = new Float32Array(16 * 16);
  data[h.readUInt16BE(0) % data.length] = 1;
  return { width: 16, height: 16, data };
};

test('pointing game: 3 shards, one killed mid-way and resumed, merge to exactly the unsharded result', async () => {
  const w = await world(30);
  const methods = ['a', 'b'];
  const reference = await runPointingGame({ ...w, methods }, standIn([]));
  assert.equal(reference.images, 30);

  const jobDir = tmp('shard-job-');
  const parts = path.join(jobDir, 'parts');
  const run = async (index: number, resume: boolean, calls: string[], failAfter = Infinity) => {
    const job = pointingShard(parts, { index, count: 3 }, resume, { methods });
    try { return await runPointingGame({ ...w, methods, shard: job.hook }, standIn(calls, failAfter)); } finally { job.writer()?.close(); }
  };
  await run(0, false, []);
  await run(2, false, []);
  // Shard 1 dies after 5 explanations: the images finished before that are on disk, the one in progress is not.
  await assert.rejects(run(1, false, [], 5), /killed/);
  const partial = readPart(path.join(parts, 'pointing.1-of-3.jsonl'));
  const owned = partial.header.ids.length;
  assert.ok(partial.items.size >= 1 && partial.items.size < owned, `mid-way: ${partial.items.size}/${owned}`);
  assert.throws(() => mergePointing(listPartFiles(parts).map(readPart)), /incomplete.*shard 1-of-3/s);
  // Resume explains only the images not yet recorded (2 methods per pair; every world image has one class here).
  const resumedCalls: string[] = [];
  const r1 = await run(1, true, resumedCalls);
  const recordedBefore = new Set(partial.items.keys());
  assert.ok(resumedCalls.every((c) => !recordedBefore.has(c.split('|')[0])), 'a finished image was explained again');
  assert.equal(r1.images, owned);

  const all = listPartFiles(parts).map(readPart);
  assert.equal(all.reduce((a, p) => a + p.duplicates, 0), 0, 'no item recorded twice');
  assert.deepEqual(all.map((p) => p.header.ids.length).reduce((a, b) => a + b), 30);
  const merged = mergePointing(all);
  assert.deepEqual(merged, reference);
});

test('slurm scripts: an array of N shard tasks with --resume, then the merge; explicit environment', () => {
  const steps = slurmSteps({
    command: 'probe', args: ['--model', '/m/model.json', '--dataset', '/d/broden it\'s', '--layer', 'relu3'], out: '/jobs/p', array: 4,
    node: '/opt/node/bin/node', cli: '/x/dist/cli.js', cwd: '/x', path: '/opt/node/bin:/usr/bin:/bin',
    resources: { partition: 'gpu', cpusPerTask: 4, gpusPerTask: 1, time: '02:00:00' },
  });
  assert.deepEqual(steps.map((s) => s.name), ['probe-stats.sbatch', 'probe-thresholds.sbatch', 'probe-concepts.sbatch', 'probe-table.sbatch']);
  const [stats, thresholds] = steps;
  for (const d of ['--array=0-3', '--partition=gpu', '--cpus-per-task=4', '--gpus-per-task=1', '--time=02:00:00', '--export=NONE'])
    assert.match(stats.script, new RegExp(`^#SBATCH ${d}$`, 'm'));
  assert.match(stats.script, /^SHARD="\$\{SLURM_ARRAY_TASK_ID\}\/4"$/m);
  assert.match(stats.script, /^exec "\$NODE" "\$CLI" probe --model \/m\/model.json --dataset '\/d\/broden it'\\''s' --layer relu3 --out \/jobs\/p --shard "\$SHARD" --resume --phase stats$/m);
  assert.match(stats.script, /^NODE=\/opt\/node\/bin\/node$/m);
  assert.match(stats.script, /^export PATH=\/opt\/node\/bin:\/usr\/bin:\/bin$/m);
  assert.doesNotMatch(thresholds.script, /--array|--gpus/);
  assert.match(thresholds.script, /exec "\$NODE" "\$CLI" merge --out \/jobs\/p \/jobs\/p\/parts$/m);
  assert.deepEqual(steps.map((s) => s.array?.kind ?? s.output), ['probe-stats', 'thresholds.json', 'probe-concepts', 'probe.json']);
});
