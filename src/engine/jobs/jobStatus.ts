// Progress of a sharded job, read from its partial results files only (works while tasks are running, after a
// kill, or on another machine): per shard the items owned and finished, per job the shards missing or incomplete.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listPartFiles, readPart, type JobKind, type PartContent } from './partFile';
import { jobFiles } from './probeJobSpec';

export interface ShardProgress {
  file: string;
  index: number;
  owned: number;
  done: number;
  /** Needs a summary line (probe phases) and has it; always true for the pointing game. */
  finished: boolean;
  torn: boolean;
  duplicates: number;
}

export interface JobProgress {
  job: JobKind;
  count: number;
  total: number;
  done: number;
  shards: ShardProgress[];
  /** Shard indices with no file yet or not finished: what a resubmission must run again. */
  incomplete: number[];
  complete: boolean;
}

const needsSummary = (job: JobKind) => job !== 'pointing';

export function jobProgress(parts: PartContent[]): JobProgress[] {
  const byJob = new Map<JobKind, PartContent[]>();
  for (const p of parts) byJob.set(p.header.job, [...(byJob.get(p.header.job) ?? []), p]);
  return [...byJob].map(([job, ps]) => {
    const count = Math.max(...ps.map((p) => p.header.shard.count));
    const shards = ps.filter((p) => p.header.shard.count === count).sort((a, b) => a.header.shard.index - b.header.shard.index).map((p): ShardProgress => {
      const done = p.header.ids.filter((id) => p.items.has(id)).length;
      return {
        file: p.file, index: p.header.shard.index, owned: p.header.ids.length, done,
        finished: done === p.header.ids.length && (!needsSummary(job) || p.summary !== undefined), torn: p.torn, duplicates: p.duplicates,
      };
    });
    const incomplete = Array.from({ length: count }, (_, i) => i).filter((i) => !shards.find((s) => s.index === i)?.finished);
    return {
      job, count, total: ps[0].header.total, done: shards.reduce((a, s) => a + s.done, 0), shards, incomplete, complete: !incomplete.length,
    };
  });
}

export interface JobFolderStatus {
  dir: string;
  jobs: JobProgress[];
  /** Merged outputs present in the folder. */
  outputs: string[];
}

export function jobFolderStatus(dir: string): JobFolderStatus {
  const parts = fs.existsSync(dir) ? listPartFiles(dir).map(readPart) : [];
  const outputs = ['pointing.json', 'probe.json', path.basename(jobFiles(dir).thresholds)].filter((f) => fs.existsSync(path.join(dir, f)));
  return { dir, jobs: jobProgress(parts), outputs };
}
