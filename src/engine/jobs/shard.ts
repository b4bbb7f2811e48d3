// Which shard of a sharded job owns an item: a stable hash of the item's id (never its position in a listing), so
// that adding, removing or reordering other items does not move it, and every task agrees without talking.
import { createHash } from 'node:crypto';
import { EngineError } from '../errors';

/** Shard `index` (0-based) of `count`. */
export interface Shard { index: number; count: number }

/** `I/N` with 0 ≤ I < N (Slurm's SLURM_ARRAY_TASK_ID is 0-based with `--array=0-(N-1)`). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new EngineError('BAD_ARGUMENT', `a shard is written I/N, e.g. 0/3 (got '${text}')`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1 || index >= count) throw new EngineError('BAD_ARGUMENT', `shard ${text}: need 0 ≤ I < N and N ≥ 1`);
  return { index, count };
}

/** The shard owning `id`: the first 6 bytes of SHA-256(id) as an integer, modulo `count`. */
export function shardOfId(id: string, count: number): number {
  const d = createHash('sha256').update(id, 'utf8').digest();
  return d.readUIntBE(0, 6) % count;
}

export const ownsId = (shard: Shard, id: string): boolean => shardOfId(id, shard.count) === shard.index;

export const shardName = (s: Shard): string => `${s.index}-of-${s.count}`;

/** The `--shard I/N` / `--resume` pair of the job commands: `--resume` alone means the whole job as one shard (0/1). */
export function shardOption(shard: string | undefined, resume: boolean): Shard | undefined {
  if (shard === undefined && !resume) return undefined;
  return parseShard(shard ?? '0/1');
}
