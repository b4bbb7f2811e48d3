// What a sharded probe task is asked to do (it travels inside the probe request's settings, so it is plain data).
// A probe job is map → reduce → map → reduce (issue #9): `stats` tasks extract the layer's activations of the
// images they own into the job folder's shared activation file and keep their top values per filter; `merge`
// reduces those to the dataset-wide thresholds (exactly, filterThresholds.ts); `concepts` tasks then run the
// NetDissect IoU counts and train the probes of the concepts they own; `merge` assembles the table.
import * as path from 'node:path';
import { EngineError } from '../errors';
import type { Shard } from './shard';

export type ProbePhase = 'stats' | 'concepts';

export interface ProbeJobSpec {
  phase: ProbePhase;
  shard: Shard;
  /** The job folder: activations.f32/.json, thresholds.json, parts/. */
  dir: string;
  resume: boolean;
}

export const jobFiles = (dir: string) => ({
  activations: path.join(dir, 'activations.f32'),
  activationsMeta: path.join(dir, 'activations.json'),
  thresholds: path.join(dir, 'thresholds.json'),
  parts: path.join(dir, 'parts'),
});

export function checkProbeJob(j: unknown): ProbeJobSpec {
  const o = j as Partial<ProbeJobSpec> | undefined;
  const ok = o && (o.phase === 'stats' || o.phase === 'concepts') && typeof o.dir === 'string' && o.dir
    && o.shard && Number.isInteger(o.shard.index) && Number.isInteger(o.shard.count) && o.shard.count >= 1
    && o.shard.index >= 0 && o.shard.index < o.shard.count;
  if (!ok) throw new EngineError('BAD_ARGUMENT', `malformed probe job ${JSON.stringify(j)}`);
  return { phase: o.phase!, shard: { index: o.shard!.index, count: o.shard!.count }, dir: path.resolve(o.dir!), resume: !!o.resume };
}
