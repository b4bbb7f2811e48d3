// `cli merge --out DIR PART…`: combines the shards of a sharded job into exactly the unsharded result (issue #9).
// PART is a shard results file or a folder of them (a job folder's parts/ is found too). Pointing game → pointing.json
// and .csv; probe stats → thresholds.json (then run the concepts phase); probe concepts → probe.json and .csv.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pointingCsv } from '../engine/benchmarks/pointingRunner';
import { listPartFiles, readPart, type PartContent } from '../engine/jobs/partFile';
import { mergePointing } from '../engine/jobs/pointingJob';
import { mergeStats, writeThresholds } from '../engine/jobs/probeThresholds';
import { mergeConcepts } from '../engine/jobs/probeTable';
import { probeCsv } from './probeCommand';
import { UsageError, type Flags } from './args';

export function merge(f: Flags, inputs: string[]): void {
  if (!f.out) throw new UsageError('merge needs --out DIR');
  if (!inputs.length) throw new UsageError('merge needs the shards\' results: files or folders (e.g. DIR/parts)');
  const out = path.resolve(f.out as string);
  const parts = inputs.flatMap((i) => listPartFiles(path.resolve(i))).map(readPart);
  if (!parts.length) throw new UsageError(`no shard results files (*.I-of-N.jsonl) in ${inputs.join(', ')}`);
  const kinds = new Set(parts.map((p) => p.header.job));
  const pick = (k: string): PartContent[] => parts.filter((p) => p.header.job === k);
  if (kinds.has('pointing') && kinds.size > 1) throw new UsageError('pointing-game and probe results cannot be merged together');
  fs.mkdirSync(out, { recursive: true });
  if (kinds.has('pointing')) {
    const r = mergePointing(pick('pointing'));
    // The same files `pointing --out` writes (writePointingResults), synchronously.
    fs.writeFileSync(path.join(out, 'pointing.json'), JSON.stringify(r, null, 1));
    fs.writeFileSync(path.join(out, 'pointing.csv'), pointingCsv(r));
    process.stdout.write(pointingCsv(r));
    process.stdout.write(`merged ${parts.length} shards: ${r.images} images, ${r.pairs.all} pairs → ${path.join(out, 'pointing.json')}, pointing.csv\n`);
  } else if (kinds.has('probe-concepts')) {
    // A job folder holds both phases' parts; the later phase is what is left to merge.
    const r = mergeConcepts(pick('probe-concepts'));
    fs.writeFileSync(path.join(out, 'probe.json'), JSON.stringify(r, null, 1));
    fs.writeFileSync(path.join(out, 'probe.csv'), probeCsv(r));
    process.stdout.write(`merged ${pick('probe-concepts').length} shards: ${r.concepts.length} concepts → ${path.join(out, 'probe.json')}, probe.csv\n`);
  } else {
    const t = mergeStats(pick('probe-stats'));
    const file = writeThresholds(out, t);
    process.stdout.write(`merged ${t.shards} shards' statistics of ${t.n} images → ${file}; next: probe --phase concepts --shard I/N\n`);
  }
}
