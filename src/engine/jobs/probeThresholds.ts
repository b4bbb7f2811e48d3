// Probe job, first reduce: the stats shards' top values per filter → the dataset-wide thresholds T_k
// (METHODS.md §5.2), identical to a single pass (TopValues.merge is exact), written to the job's thresholds.json.
import * as fs from 'node:fs';
import { EngineError } from '../errors';
import { TopValues } from '../probing/filterThresholds';
import { checkComplete, type PartContent } from './partFile';
import { jobFiles } from './probeJobSpec';
import type { StatsSummary } from './probeStatsPhase';

export interface ThresholdsFile {
  kind: 'probe-thresholds';
  key: string;
  layer: string;
  quantile: number;
  n: number;
  /** Per filter; null stands for −∞ (fewer values than the quantile needs), which JSON cannot hold. */
  thresholds: Array<number | null>;
  shards: number;
}

export function mergeStats(parts: PartContent[]): ThresholdsFile {
  const { job, count, params } = checkComplete(parts, true);
  if (job !== 'probe-stats') throw new EngineError('BAD_ARGUMENT', `Expected probe stats results, got ${job}.`);
  let top: TopValues | undefined;
  for (const p of parts) {
    const t = TopValues.fromJSON((p.summary as StatsSummary).top);
    if (top) top.merge(t); else top = t;
  }
  const p = params as { key: string; layer: string; quantile: number; n: number };
  return {
    kind: 'probe-thresholds', key: p.key, layer: p.layer, quantile: p.quantile, n: p.n, shards: count,
    thresholds: Array.from(top!.thresholds(), (v) => (Number.isFinite(v) ? v : null)),
  };
}

export function writeThresholds(dir: string, t: ThresholdsFile): string {
  const file = jobFiles(dir).thresholds;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(t));
  return file;
}

/** The thresholds of the job in `dir`, checked against the activations they must belong to. */
export function readThresholds(dir: string, key: string, quantile: number): Float32Array {
  const file = jobFiles(dir).thresholds;
  let t: ThresholdsFile;
  try { t = JSON.parse(fs.readFileSync(file, 'utf8')) as ThresholdsFile; } catch {
    throw new EngineError('BAD_ARGUMENT', `No thresholds in ${dir}: run the stats phase on every shard, then \`merge --out ${dir} ${jobFiles(dir).parts}\`.`);
  }
  if (t.kind !== 'probe-thresholds' || t.key !== key || t.quantile !== quantile)
    throw new EngineError('BAD_ARGUMENT', `${file} was computed for another model, layer, dataset or quantile (${t.quantile}).`);
  return Float32Array.from(t.thresholds, (v) => (v === null ? -Infinity : v));
}
