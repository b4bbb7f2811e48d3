// The pointing game as a sharded job: each shard evaluates the images it owns (by id hash), writing one JSON line
// per image; merging the shards' image records gives exactly the unsharded result (pointingResult is the same
// function the runner uses, and the records are put back in dataset order).
import { EngineError } from '../errors';
import { pointingResult, type ImageRecord, type PointingGameResult, type PointingMeta, type ShardHook } from '../benchmarks/pointingRunner';
import { checkComplete, fingerprintOf, PartWriter, type PartContent } from './partFile';
import { ownsId, type Shard } from './shard';

export interface PointingShardHook {
  hook: ShardHook;
  /** The open results file, once the runner has called the hook. */
  writer(): PartWriter | undefined;
}

/** `settings`: everything besides the dataset metadata that changes the numbers (model, methods' settings, limit…). */
export function pointingShard(partsDir: string, shard: Shard, resume: boolean, settings: Record<string, unknown>): PointingShardHook {
  let writer: PartWriter | undefined;
  const hook: ShardHook = ({ meta, images }) => {
    const ids = images.filter((id) => ownsId(shard, id));
    const params = { meta, settings };
    writer = PartWriter.open(partsDir, { job: 'pointing', shard, ids, total: images.length, fingerprint: fingerprintOf(params), params }, resume);
    const w = writer;
    return {
      include: (id) => ownsId(shard, id),
      done: w.done as Map<string, ImageRecord>,
      onImage: (r) => w.item(r.image, r),
    };
  };
  return { hook, writer: () => writer };
}

/** Every shard's records → the result an unsharded run gives. */
export function mergePointing(parts: PartContent[]): PointingGameResult {
  const { job, params } = checkComplete(parts, false);
  if (job !== 'pointing') throw new EngineError('BAD_ARGUMENT', `Expected pointing-game results, got ${job}.`);
  const records = parts.flatMap((p) => [...p.items.values()] as ImageRecord[]);
  return pointingResult((params as { meta: PointingMeta }).meta, records);
}
