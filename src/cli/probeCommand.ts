// `cli probe`: NetDissect + Net2Vec concept probing of one layer on a Broden or concept-folders dataset (issue #5).
// Writes probe.json (everything, incl. per-filter labels, curves, weights and nearest concepts) and probe.csv
// (one row per concept and probe) to --out; without --out the CSV table goes to stdout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineHost } from '../engine/host/engineHost';
import type { ProbeResult, ProbeScores, ProbeSettingsInput } from '../engine/probing/probeTypes';
import { jobFiles, type ProbeJobSpec } from '../engine/jobs/probeJobSpec';
import { shardOption } from '../engine/jobs/shard';
import { modelSpec, positiveInt, UsageError, type Flags } from './args';

const KINDS = ['segmentation', 'classification', 'both'] as const;

const list = (v: string | boolean | undefined) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

/** CLI flags → the probe request's settings (unset flags keep the engine's defaults, METHODS.md §5). */
export function probeSettings(f: Flags): ProbeSettingsInput {
  if (!f.layer) throw new UsageError('probe needs --layer NAME (see `info --model …` for the layer names)');
  const kind = (f.kind as string | undefined) ?? 'both';
  if (!(KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind is segmentation, classification or both (got '${kind}')`);
  const s: ProbeSettingsInput = { layer: f.layer as string, kind: kind as ProbeSettingsInput['kind'] };
  if (f.concepts) s.concepts = list(f.concepts);
  if (f.categories) s.categories = list(f.categories);
  if (f.quantile !== undefined) {
    const q = Number(f.quantile);
    if (!(q > 0 && q < 1)) throw new UsageError(`--quantile must be a number in (0, 1) (got '${f.quantile}')`);
    s.quantile = q;
  }
  const training: Record<string, number> = {};
  if (f.epochs !== undefined) training.epochs = positiveInt('epochs', f.epochs, 30);
  if (f.seed !== undefined) {
    const n = Number(f.seed);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed must be a non-negative integer (got '${f.seed}')`);
    training.seed = n;
  }
  if (Object.keys(training).length) { s.segmentation = { ...training }; s.classification = { ...training }; }
  if (f['skip-curve']) s.filtersNeeded = false;
  if (f['batch-size'] !== undefined) s.batchSize = positiveInt('batch-size', f['batch-size'], 16);
  if (f.cache) s.cacheDir = path.resolve(f.cache as string);
  return s;
}

const num = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits));
const cell = (v: string | number) => { const t = String(v); return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t; };

export const CSV_COLUMNS = [
  'concept', 'category', 'probe', 'metric', 'best_filter', 'best_filter_score', 'net2vec_score', 'gain', 'gain_ratio',
  'filters_needed', 'netdissect_filter', 'netdissect_iou', 'train_images', 'val_images', 'top_filters', 'nearest',
] as const;

/** The results table: one row per concept and probe that ran. */
export function probeCsv(r: ProbeResult): string {
  const rows: string[][] = [];
  for (const c of r.concepts) {
    for (const [kind, p] of [['segmentation', c.segmentation], ['classification', c.classification]] as Array<[string, ProbeScores | undefined]>) {
      if (!p) continue;
      rows.push([
        c.concept, c.category, kind, p.metric, String(p.bestFilter), num(p.bestFilterScore), num(p.score), num(p.gain), num(p.gainRatio, 3),
        p.filtersNeeded === undefined ? '' : String(p.filtersNeeded), String(c.netDissect.filter), num(c.netDissect.iou),
        String(c.trainImages), String(c.valImages),
        p.topFilters.map((t) => `${t.filter}:${t.weight.toFixed(3)}`).join(';'),
        p.nearest.map((n) => `${n.concept}:${n.cosine.toFixed(3)}`).join(';'),
      ]);
    }
  }
  return [CSV_COLUMNS.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

export async function probe(f: Flags, host: EngineHost, signal: AbortSignal): Promise<void> {
  if (!f.dataset) throw new UsageError('probe needs --dataset DIR (a Broden folder or <root>/<concept>/ image folders)');
  const dataset = path.resolve(f.dataset as string);
  if (!fs.existsSync(dataset)) throw new UsageError(`dataset not found: ${f.dataset}`);
  const settings: ProbeSettingsInput & { job?: ProbeJobSpec } = probeSettings(f);
  // --shard I/N / --resume (issue #9): one task of a sharded job in --out (see src/engine/jobs/probeJobSpec.ts).
  const shard = shardOption(f.shard as string | undefined, !!f.resume);
  if (!shard && f.phase) throw new UsageError('--phase goes with --shard I/N');
  if (shard) {
    if (!f.out) throw new UsageError('a sharded probe needs --out DIR (the job folder shared by its tasks)');
    const dir = path.resolve(f.out as string);
    const phase = (f.phase as string | undefined) ?? (fs.existsSync(jobFiles(dir).thresholds) ? 'concepts' : 'stats');
    if (phase !== 'stats' && phase !== 'concepts') throw new UsageError(`--phase is stats or concepts (got '${phase}')`);
    settings.job = { phase, shard, dir, resume: !!f.resume };
  }
  let last = 0;
  const r = await host.request({ type: 'probe', model: modelSpec(f), dataset: { path: dataset }, settings }, {
    signal,
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 1000 && p.step < p.total) return;
      last = now;
      process.stderr.write(`  probe ${p.step}/${p.total} ${p.message ?? ''}\n`);
    },
  });
  if (settings.job) {
    const j = settings.job;
    const what = j.phase === 'stats' ? `${r.activations.imagesPerSecond === null ? 'all images already done' : `activations at ${r.activations.imagesPerSecond.toFixed(1)} images/s`}`
      : `${r.concepts.length} concepts`;
    process.stdout.write(`probe ${j.phase} shard ${j.shard.index}/${j.shard.count} done: ${what} (${jobFiles(j.dir).parts})\n`);
    return;
  }
  const csv = probeCsv(r);
  const a = r.activations;
  process.stderr.write(`${r.dataset.images} images (${r.dataset.train} train, ${r.dataset.val} val), layer ${r.layer} ${a.h}×${a.w}×${a.filters}, ` +
    `activations ${a.cached ? 'from cache' : `${a.imagesPerSecond?.toFixed(1)} images/s`}, ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.backend}; ` +
    `${r.units.filter((u) => u.detector).length} detector filters\n`);
  if (!f.out) { process.stdout.write(f.json ? JSON.stringify(r) + '\n' : csv); return; }
  const out = path.resolve(f.out as string);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'probe.json'), JSON.stringify(r, null, 1));
  fs.writeFileSync(path.join(out, 'probe.csv'), csv);
  process.stdout.write(`wrote ${path.join(out, 'probe.json')}, ${path.join(out, 'probe.csv')}\n`);
}
