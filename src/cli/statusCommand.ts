// `cli status DIR`: progress of a sharded job from its partial results files (and, when the job was submitted from
// here and squeue is available, the Slurm state of its jobs).
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { jobFolderStatus } from '../engine/jobs/jobStatus';
import { queuedJobs } from './slurmCommand';
import { UsageError, type Flags } from './args';

export function status(f: Flags, positionals: string[]): void {
  if (positionals.length !== 1) throw new UsageError('status takes one job folder: node dist/cli.js status DIR');
  const dir = path.resolve(positionals[0]);
  const s = jobFolderStatus(dir);
  let queue: Array<[string, string, string]> = [];
  if (!spawnSync('squeue', ['--version'], { timeout: 10000 }).error) {
    try { queue = queuedJobs(dir); } catch { /* no controller reachable: the files still tell the progress */ }
  }
  if (f.json) { process.stdout.write(JSON.stringify({ ...s, queue }, null, 1) + '\n'); return; }
  if (!s.jobs.length) process.stdout.write(`${dir}: no shard results yet\n`);
  for (const j of s.jobs) {
    const pct = j.total ? (100 * j.done / j.total).toFixed(1) : '100.0';
    process.stdout.write(`${j.job}: ${j.done}/${j.total} items (${pct} %), ${j.count - j.incomplete.length}/${j.count} shards finished` +
      `${j.incomplete.length ? `; unfinished: ${j.incomplete.join(',')}` : ''}\n`);
    for (const sh of j.shards)
      process.stdout.write(`  shard ${sh.index}/${j.count}: ${sh.done}/${sh.owned}${sh.finished ? ' finished' : ''}${sh.torn ? ' (torn last line)' : ''}` +
        `${sh.duplicates ? ` (${sh.duplicates} duplicate lines)` : ''}\n`);
  }
  if (queue.length) process.stdout.write(`slurm: ${queue.map(([id, st, reason]) => `${id} ${st}${reason && reason !== 'None' ? ` (${reason})` : ''}`).join(', ')}\n`);
  process.stdout.write(s.outputs.length ? `merged: ${s.outputs.join(', ')}\n` : 'merged: not yet\n');
}
