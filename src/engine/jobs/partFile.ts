// A shard's results file (`<job>.<I>-of-<N>.jsonl`): a header naming the job, the shard, the ids it owns and a
// fingerprint of the settings; then one line per finished item; then, for jobs with per-shard statistics, a summary
// line once all items are done. `--resume` reopens it, checks the header matches, and skips the items already there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { EngineError } from '../errors';
import { JsonLinesAppender, readJsonLines } from './jsonLines';
import { shardName, type Shard } from './shard';

export type JobKind = 'pointing' | 'probe-stats' | 'probe-concepts';
export const PART_VERSION = 1;

export interface PartHeader {
  kind: 'header';
  version: number;
  job: JobKind;
  shard: Shard;
  /** Ids this shard owns, in the job's order. */
  ids: string[];
  /** Items in the whole job (all shards). */
  total: number;
  /** Hash of everything that must agree between shards and between a run and its resumption. */
  fingerprint: string;
  /** The settings behind the fingerprint, readable (merge rebuilds results from them). */
  params: Record<string, unknown>;
}

export interface PartContent {
  file: string;
  header: PartHeader;
  /** Finished items, by id (the first record of an id wins; later copies are counted in `duplicates`). */
  items: Map<string, unknown>;
  duplicates: number;
  summary?: unknown;
  torn: boolean;
}

export const fingerprintOf = (params: unknown): string =>
  createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 16);

export const partFileName = (job: JobKind, shard: Shard): string => `${job}.${shardName(shard)}.jsonl`;

export function readPart(file: string): PartContent {
  const { records, torn } = readJsonLines(file);
  const header = records[0] as PartHeader | undefined;
  if (!header || header.kind !== 'header' || header.version !== PART_VERSION || !Array.isArray(header.ids))
    throw new EngineError('INPUT_INVALID', `${file} is not a CNN Lens shard results file (no header line).`);
  const items = new Map<string, unknown>();
  let duplicates = 0;
  let summary: unknown;
  for (const r of records.slice(1) as Array<{ kind: string; id?: string; data?: unknown }>) {
    if (r.kind === 'item' && typeof r.id === 'string') {
      if (items.has(r.id)) duplicates++;
      else items.set(r.id, r.data);
    } else if (r.kind === 'summary') summary = r.data;
  }
  return { file, header, items, duplicates, summary, torn };
}

/** The part files of a directory (or the file itself), sorted by name. */
export function listPartFiles(target: string): string[] {
  let st: fs.Stats;
  try { st = fs.statSync(target); } catch { throw new EngineError('BAD_ARGUMENT', `No such file or folder: ${target}`); }
  if (st.isFile()) return [target];
  const dirs = [target, path.join(target, 'parts')].filter((d) => fs.existsSync(d) && fs.statSync(d).isDirectory());
  return dirs.flatMap((d) => fs.readdirSync(d).filter((f) => /\.\d+-of-\d+\.jsonl$/.test(f)).sort().map((f) => path.join(d, f)));
}

/** An open shard results file: what is done already, and an appender for the rest. */
export class PartWriter {
  private readonly out: JsonLinesAppender;
  readonly done: Map<string, unknown>;
  readonly summary: unknown;

  private constructor(readonly file: string, content: PartContent | undefined, keepBytes: number | undefined, header: PartHeader) {
    this.done = content?.items ?? new Map();
    this.summary = content?.summary;
    this.out = new JsonLinesAppender(file, keepBytes);
    if (!content) this.out.append(header);
  }

  /**
   * Opens `dir/<job>.<I>-of-<N>.jsonl`. An existing file is continued only with `resume` (and only if its header
   * matches: same job, shard, ids and settings); without `resume` it is an error, never silently overwritten.
   */
  static open(dir: string, header: Omit<PartHeader, 'kind' | 'version'>, resume: boolean): PartWriter {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, partFileName(header.job, header.shard));
    const full: PartHeader = { kind: 'header', version: PART_VERSION, ...header };
    if (!fs.existsSync(file)) return new PartWriter(file, undefined, undefined, full);
    if (!resume) throw new EngineError('BAD_ARGUMENT', `${file} exists: pass --resume to continue it, or delete it to start over.`);
    const content = readPart(file);
    const h = content.header;
    const why = h.job !== full.job ? `job ${h.job}, not ${full.job}`
      : h.shard.index !== full.shard.index || h.shard.count !== full.shard.count ? `shard ${shardName(h.shard)}`
        : h.fingerprint !== full.fingerprint ? 'other settings'
          : h.ids.join('\n') !== full.ids.join('\n') ? 'another item list' : '';
    if (why) throw new EngineError('BAD_ARGUMENT', `Cannot resume ${file}: it was written with ${why}. Delete it or use another --out.`);
    return new PartWriter(file, content, readJsonLines(file).validBytes, full);
  }

  item(id: string, data: unknown): void {
    this.out.append({ kind: 'item', id, data });
    this.done.set(id, data);
  }

  finish(summary?: unknown): void {
    if (summary !== undefined && this.summary === undefined) this.out.append({ kind: 'summary', data: summary });
    this.out.close();
  }

  close(): void { this.out.close(); }
}

/**
 * Checks a set of parts forms one complete job: same job and settings, shards 0…N−1 each present once, every owned
 * item finished, and (when `needSummary`) every summary written. Errors say which shard to rerun with --resume.
 */
export function checkComplete(parts: PartContent[], needSummary: boolean): { job: JobKind; count: number; params: Record<string, unknown> } {
  if (!parts.length) throw new EngineError('BAD_ARGUMENT', 'No shard results files to merge.');
  const first = parts[0].header;
  const seen = new Map<number, string>();
  const problems: string[] = [];
  for (const p of parts) {
    const h = p.header;
    if (h.job !== first.job || h.fingerprint !== first.fingerprint || h.shard.count !== first.shard.count || h.total !== first.total)
      throw new EngineError('BAD_ARGUMENT', `${p.file} belongs to another job than ${parts[0].file} (job, settings or shard count differ).`);
    if (seen.has(h.shard.index)) throw new EngineError('BAD_ARGUMENT', `Shard ${shardName(h.shard)} given twice: ${seen.get(h.shard.index)} and ${p.file}.`);
    seen.set(h.shard.index, p.file);
    const missing = h.ids.filter((id) => !p.items.has(id));
    if (missing.length) problems.push(`shard ${shardName(h.shard)}: ${missing.length} of ${h.ids.length} items not done (first: ${missing[0]})`);
    else if (needSummary && p.summary === undefined) problems.push(`shard ${shardName(h.shard)}: items done but its statistics were not written`);
  }
  for (let i = 0; i < first.shard.count; i++) if (!seen.has(i)) problems.push(`shard ${i}-of-${first.shard.count}: no results file`);
  if (problems.length) throw new EngineError('INPUT_INVALID', `The ${first.job} job is incomplete — rerun these shards with --resume:\n  ${problems.join('\n  ')}`);
  const owned = parts.reduce((a, p) => a + p.header.ids.length, 0);
  if (owned !== first.total) throw new EngineError('INPUT_INVALID', `The shards own ${owned} items but the job has ${first.total}.`);
  return { job: first.job, count: first.shard.count, params: first.params };
}
