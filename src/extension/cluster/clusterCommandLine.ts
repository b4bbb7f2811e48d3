// Pure helpers of "Run Pointing Game…" / "Run on Slurm…" (issue #9): finding sbatch and node on a PATH, the argument
// lists of `dist/cli.js pointing|probe|slurm …` (flags as src/cli/*Command.ts define them), and reading what the CLI
// prints back (progress lines, submitted job ids, `status --json`). No vscode import, so they are unit-tested.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelSpec } from '../../engine/worker/protocol';

/** Finds an executable file on a PATH string; `isExecutable` is injectable for tests. */
export function findExecutable(name: string, searchPath: string | undefined, isExecutable: (file: string) => boolean = executableFile,
  platform: NodeJS.Platform = process.platform): string | undefined {
  const sep = platform === 'win32' ? ';' : ':';
  const exts = platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of (searchPath ?? '').split(sep)) {
    if (!dir) continue;
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

function executableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export type RunPlace = 'here' | 'slurm';

/** "Run on Slurm…" only where sbatch can be run (e.g. a Remote-SSH window on a login node). */
export function runPlaces(searchPath: string | undefined, isExecutable?: (file: string) => boolean): RunPlace[] {
  return findExecutable('sbatch', searchPath, isExecutable) ? ['here', 'slurm'] : ['here'];
}

/**
 * The node binary the Slurm scripts should run. Inside desktop VS Code the extension host is Electron, which only acts
 * as node with ELECTRON_RUN_AS_NODE (the scripts run with --export=NONE), so a real `node` from the PATH is needed;
 * in a Remote-SSH window the extension host already is node.
 */
export function nodeForJobs(execPath: string, electron: boolean, searchPath: string | undefined, isExecutable?: (file: string) => boolean): string | undefined {
  return electron ? findExecutable('node', searchPath, isExecutable) : execPath;
}

/** The model flags of the CLI (src/cli/args.ts modelSpec). */
export function modelFlags(spec: ModelSpec): string[] {
  const a = ['--model', spec.path];
  if (spec.labels) a.push('--labels', spec.labels);
  const pre = spec.preprocessing;
  if (pre?.inputRange) a.push('--input-range', pre.inputRange.join(','));
  if (pre?.mean && pre.std) a.push('--mean', pre.mean.join(','), '--std', pre.std.join(','));
  if (pre?.channels) a.push('--channels', pre.channels);
  if (spec.outputLayer) a.push('--output-layer', spec.outputLayer);
  return a;
}

export interface PointingJob {
  model: ModelSpec;
  images: string;
  /** A VOC Annotations folder or a COCO instances .json. */
  annotations: string;
  classMap: string;
  methods: string[];
  out: string;
}

/** `pointing …` (src/cli/pointingCommand.ts), without the leading cli.js. */
export function pointingArgs(j: PointingJob): string[] {
  if (!j.methods.length) throw new Error('the pointing game needs at least one method');
  return ['pointing', ...modelFlags(j.model), '--images', j.images, '--annotations', j.annotations, '--class-map', j.classMap,
    '--methods', j.methods.join(','), '--out', j.out];
}

export interface ProbeJob {
  model: ModelSpec;
  dataset: string;
  layer: string;
  kind: string;
  concepts?: string[];
  categories?: string[];
  quantile?: number;
  seed?: number;
  epochs?: number;
  /** false: skip the filters-needed retraining (--skip-curve). */
  filtersNeeded?: boolean;
  batchSize?: number;
  out: string;
}

/** `probe …` (src/cli/probeCommand.ts probeSettings), without the leading cli.js. */
export function probeArgs(j: ProbeJob): string[] {
  const a = ['probe', ...modelFlags(j.model), '--dataset', j.dataset, '--layer', j.layer, '--kind', j.kind];
  if (j.concepts?.length) a.push('--concepts', j.concepts.join(','));
  if (j.categories?.length) a.push('--categories', j.categories.join(','));
  if (j.quantile !== undefined) a.push('--quantile', String(j.quantile));
  if (j.epochs !== undefined) a.push('--epochs', String(j.epochs));
  if (j.seed !== undefined) a.push('--seed', String(j.seed));
  if (j.filtersNeeded === false) a.push('--skip-curve');
  if (j.batchSize !== undefined) a.push('--batch-size', String(j.batchSize));
  return [...a, '--out', j.out];
}

export interface SlurmOptions {
  /** Number of shards (array tasks). */
  array: number;
  partition?: string;
  /** Slurm time limit per task, e.g. 04:00:00. */
  time?: string;
  /** The node binary the scripts run (see nodeForJobs). */
  node?: string;
}

/** `pointing|probe …` → `slurm pointing|probe … --array N … --submit` (src/cli/slurmCommand.ts). */
export function slurmArgs(commandArgs: string[], o: SlurmOptions): string[] {
  const [command, ...rest] = commandArgs;
  if (command !== 'pointing' && command !== 'probe') throw new Error(`only pointing and probe run on Slurm (got '${command}')`);
  if (!Number.isInteger(o.array) || o.array < 1) throw new Error(`the array size must be a positive integer (got ${o.array})`);
  const a = ['slurm', command, ...rest, '--array', String(o.array)];
  if (o.partition) a.push('--partition', o.partition);
  if (o.time) a.push('--time', o.time);
  if (o.node) a.push('--node', o.node);
  return [...a, '--submit'];
}

/** Input box validation: undefined when fine, else the message. */
export function checkArraySize(text: string): string | undefined {
  return /^\s*[1-9]\d{0,4}\s*$/.test(text) ? undefined : 'A whole number of shards, 1 to 99999';
}

/** Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS; empty means the partition's default. */
export function checkTimeLimit(text: string): string | undefined {
  const t = text.trim();
  if (!t || /^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(t)) return undefined;
  return 'A Slurm time limit such as 30, 04:00:00 or 1-12:00:00 (empty: the partition\'s default)';
}

/** The progress lines `pointing` writes to stderr: "  pointing 3/12 name.png". */
export function parseProgress(line: string): { done: number; total: number } | undefined {
  const m = /^\s*pointing (\d+)\/(\d+)\b/.exec(line);
  return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
}

/** `submitted pointing.sbatch (tasks 0,2): job 123` lines of `slurm … --submit`. */
export function parseSubmitted(stdout: string): Array<{ name: string; id: string }> {
  return [...stdout.matchAll(/^submitted (\S+)(?: \(tasks [^)]*\))?: job (\d+)$/gm)].map((m) => ({ name: m[1], id: m[2] }));
}

/** The parts of `status DIR --json` the status bar uses (src/engine/jobs/jobStatus.ts plus `queue`). */
export interface StatusJson {
  jobs: Array<{ job: string; count: number; total: number; done: number; complete: boolean; incomplete: number[] }>;
  outputs: string[];
  queue?: Array<[string, string, string]>;
}

export type JobKind = 'pointing' | 'probe';

/** The file a finished job leaves in its folder. */
export const RESULT_FILE: Record<JobKind, string> = { pointing: 'pointing.json', probe: 'probe.json' };

export interface JobSummary {
  done: number;
  total: number;
  /** The phase shown (the probe has two sharded phases). */
  phase: string | undefined;
  finished: boolean;
  /** Jobs still known to squeue (undefined: squeue gave nothing). */
  queued: number;
  text: string;
}

/** One line for the status bar from `status --json`: the latest phase with items to do. */
export function summarizeStatus(kind: JobKind, s: StatusJson): JobSummary {
  const finished = s.outputs.includes(RESULT_FILE[kind]);
  // Probe phases in order (stats, then concepts): the last one that has started is the one running.
  const order = ['pointing', 'probe-stats', 'probe-concepts'];
  const jobs = [...s.jobs].sort((a, b) => order.indexOf(a.job) - order.indexOf(b.job));
  const current = jobs.at(-1);
  const done = current?.done ?? 0;
  const total = current?.total ?? 0;
  const queued = s.queue?.length ?? 0;
  const phase = current?.job;
  const text = finished ? `${kind} done` : current ? `${phase} ${done}/${total}` : `${kind} queued`;
  return { done, total, phase, finished, queued, text };
}

/** What the monitor keeps per watched job between polls (and in the workspace state, across window reloads). */
export interface WatchProgress {
  /** Its Slurm jobs were seen in squeue at least once (so an empty queue means they ended). */
  seenQueued: boolean;
  /** Polls in a row with an empty queue and no result. */
  emptyPolls: number;
  /** Ended without a merged result (a task cancelled, failed or out of time); polling goes on. */
  stopped: boolean;
}

/** Polls with no queued job and no result before the job counts as ended unfinished (the merge may just be writing). */
export const EMPTY_POLLS_BEFORE_STOPPED = 2;

/**
 * One poll's effect on a watched, unfinished job; `report` is true on the poll that finds it stopped (once, until it is
 * queued again, e.g. resumed from a shell). Without squeue (queued stays 0 from the start) a job is never judged.
 */
export function afterPoll(w: WatchProgress, queued: number): WatchProgress & { report: boolean } {
  if (queued > 0) return { seenQueued: true, emptyPolls: 0, stopped: false, report: false };
  const emptyPolls = w.seenQueued ? w.emptyPolls + 1 : w.emptyPolls;
  const stopped = w.stopped || emptyPolls >= EMPTY_POLLS_BEFORE_STOPPED;
  return { seenQueued: w.seenQueued, emptyPolls, stopped, report: stopped && !w.stopped };
}

/** What the workspace state keeps of a watched job: enough to watch it again after a window reload. */
export interface SavedJob { dir: string; kind: JobKind; title: string; seenQueued?: boolean; stopped?: boolean }

/** The saved jobs that are well formed (the state may hold anything an older version wrote), one per folder. */
export function restorableJobs(saved: unknown): SavedJob[] {
  if (!Array.isArray(saved)) return [];
  const ok = saved.filter((j): j is SavedJob => !!j && typeof j === 'object' && typeof j.dir === 'string' && !!j.dir &&
    (j.kind === 'pointing' || j.kind === 'probe') && typeof j.title === 'string');
  return ok.filter((j, i) => ok.findIndex((k) => path.resolve(k.dir) === path.resolve(j.dir)) === i);
}
