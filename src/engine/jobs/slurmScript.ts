// sbatch scripts for a sharded job (issue #9): a job array whose task I runs shard I/N with --resume, and a merge
// job after it (submitted with --dependency=afterok:<array>); the probe job chains two such pairs (stats → thresholds
// → concepts → table). Each script spells out its environment — node binary, CLI bundle, working folder, PATH,
// every model and dataset path absolute — and is submitted with --export=NONE, so nothing depends on the shell
// that submitted it.
import * as path from 'node:path';
import type { JobKind } from './partFile';

export interface SlurmResources { partition?: string; cpusPerTask?: number; gpusPerTask?: number; time?: string }

export interface SlurmStep {
  /** File name under OUT/slurm/. */
  name: string;
  /** Array steps: the shards' job kind (their parts tell which tasks still have work); merges: the output they write. */
  array: { kind: JobKind; count: number } | null;
  output: string | null;
  script: string;
}

export interface SlurmJobInput {
  command: 'pointing' | 'probe';
  /** The command's own arguments, paths already absolute, without --out/--shard/--resume/--phase. */
  args: string[];
  out: string;
  array: number;
  node: string;
  cli: string;
  cwd: string;
  resources: SlurmResources;
  /** PATH inside the job (the node binary's folder first). */
  path: string;
}

/** POSIX shell single-quoting. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function script(o: SlurmJobInput, name: string, array: number | null, run: string[]): string {
  const logs = path.join(o.out, 'slurm', 'logs');
  const r = o.resources;
  const directives = [
    `--job-name=cnnlens-${name.replace(/\.sbatch$/, '')}`,
    ...(array ? [`--array=0-${array - 1}`, `--output=${logs}/${name.replace(/\.sbatch$/, '')}-%A_%a.out`] : [`--output=${logs}/${name.replace(/\.sbatch$/, '')}-%j.out`]),
    '--export=NONE', '--ntasks=1',
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    ...(r.cpusPerTask ? [`--cpus-per-task=${r.cpusPerTask}`] : []),
    ...(array && r.gpusPerTask ? [`--gpus-per-task=${r.gpusPerTask}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
  ];
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    `# Written by \`node dist/cli.js slurm ${o.command} …\` (CNN Lens). The environment is explicit: nothing comes from the submitting shell.`,
    'set -euo pipefail',
    `export PATH=${shellQuote(o.path)}`,
    `NODE=${shellQuote(o.node)}`,
    `CLI=${shellQuote(o.cli)}`,
    `cd ${shellQuote(o.cwd)}`,
    ...(array ? ['SHARD="${SLURM_ARRAY_TASK_ID}/' + array + '"'] : []),
    'exec "$NODE" "$CLI" ' + run.join(' '),
    '',
  ].join('\n');
}

/** The steps of the job, in submission order (each after the previous one succeeded). */
export function slurmSteps(o: SlurmJobInput): SlurmStep[] {
  const q = (a: string[]) => a.map(shellQuote);
  const out = shellQuote(o.out);
  const parts = shellQuote(path.join(o.out, 'parts'));
  const shard = ['--out', out, '--shard', '"$SHARD"', '--resume'];
  const merge = ['merge', '--out', out, parts];
  if (o.command === 'pointing') {
    return [
      { name: 'pointing.sbatch', array: { kind: 'pointing', count: o.array }, output: null, script: script(o, 'pointing.sbatch', o.array, ['pointing', ...q(o.args), ...shard]) },
      { name: 'pointing-merge.sbatch', array: null, output: 'pointing.json', script: script(o, 'pointing-merge.sbatch', null, merge) },
    ];
  }
  return [
    { name: 'probe-stats.sbatch', array: { kind: 'probe-stats', count: o.array }, output: null, script: script(o, 'probe-stats.sbatch', o.array, ['probe', ...q(o.args), ...shard, '--phase', 'stats']) },
    { name: 'probe-thresholds.sbatch', array: null, output: 'thresholds.json', script: script(o, 'probe-thresholds.sbatch', null, merge) },
    { name: 'probe-concepts.sbatch', array: { kind: 'probe-concepts', count: o.array }, output: null, script: script(o, 'probe-concepts.sbatch', o.array, ['probe', ...q(o.args), ...shard, '--phase', 'concepts']) },
    { name: 'probe-table.sbatch', array: null, output: 'probe.json', script: script(o, 'probe-table.sbatch', null, merge) },
  ];
}
