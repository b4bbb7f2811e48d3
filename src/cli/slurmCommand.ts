// `cli slurm pointing|probe … --array N [--submit]` writes (and submits) the sbatch scripts of a sharded job;
// `cli slurm resume DIR [--submit]` resubmits only what a cancelled or failed run left undone (issue #9).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../engine/errors';
import { jobFolderStatus } from '../engine/jobs/jobStatus';
import { shellQuote, slurmSteps, type SlurmResources, type SlurmStep } from '../engine/jobs/slurmScript';
import { DEMO_MODEL, positiveInt, UsageError, type Flags } from './args';

export const SLURM_USAGE = `node dist/cli.js slurm pointing|probe [that command's flags] --out DIR --array N [--partition P]
        [--cpus-per-task C] [--gpus-per-task G] [--time T] [--node PATH] [--submit]   (sbatch scripts in DIR/slurm)
  node dist/cli.js slurm resume DIR [--submit]      (resubmit only the unfinished shards and what follows them)`;

/** Flags that name files: made absolute, since the job runs elsewhere. */
const PATH_FLAGS = new Set(['model', 'labels', 'images', 'annotations', 'class-map', 'difficult', 'image-set', 'dataset', 'cache']);
/** Flags of this command or of the shard tasks themselves, not passed through. */
const OWN_FLAGS = new Set(['out', 'shard', 'resume', 'phase', 'array', 'partition', 'cpus-per-task', 'gpus-per-task', 'time', 'submit', 'node', 'help', 'json']);
const REQUIRED = { pointing: ['images', 'annotations', 'class-map', 'methods'], probe: ['dataset', 'layer'] } as const;

interface Plan { command: string; out: string; steps: Array<Omit<SlurmStep, 'script'>> }
interface Submission { at: string; jobs: Array<{ name: string; id: string; tasks: string | null }> }

const slurmDir = (out: string) => path.join(out, 'slurm');

export function slurm(f: Flags, positionals: string[]): void {
  const [sub, dir] = positionals;
  if (sub === 'resume') {
    if (!dir) throw new UsageError('slurm resume needs the job folder (the --out of `slurm pointing|probe`)');
    return resume(path.resolve(dir), !!f.submit);
  }
  if (sub !== 'pointing' && sub !== 'probe') throw new UsageError(`slurm takes pointing, probe or resume (got '${sub ?? ''}')\n  ${SLURM_USAGE}`);
  for (const k of REQUIRED[sub]) if (!f[k]) throw new UsageError(`slurm ${sub} needs --${k}`);
  if (!f.out) throw new UsageError(`slurm ${sub} needs --out DIR (the job folder, on a filesystem every node sees)`);
  if (f.shard || f.resume || f.phase) throw new UsageError('--shard, --resume and --phase are set by the generated scripts');
  const array = positiveInt('array', f.array, 0);
  if (!array) throw new UsageError('slurm needs --array N (the number of shards)');
  const out = path.resolve(f.out as string);
  const args: string[] = [];
  if (!f.model) args.push('--model', DEMO_MODEL);
  for (const [k, v] of Object.entries(f)) {
    if (OWN_FLAGS.has(k) || v === undefined || v === false) continue;
    if (PATH_FLAGS.has(k)) {
      const p = path.resolve(v as string);
      if (!fs.existsSync(p)) throw new UsageError(`--${k}: ${v} not found`);
      args.push(`--${k}`, p);
    } else args.push(`--${k}`, ...(v === true ? [] : [v]));
  }
  const node = path.resolve((f.node as string | undefined) ?? process.execPath);
  if (!fs.existsSync(node)) throw new UsageError(`--node: ${node} not found`);
  const resources: SlurmResources = {
    partition: f.partition as string | undefined,
    cpusPerTask: f['cpus-per-task'] !== undefined ? positiveInt('cpus-per-task', f['cpus-per-task'], 1) : undefined,
    gpusPerTask: f['gpus-per-task'] !== undefined ? positiveInt('gpus-per-task', f['gpus-per-task'], 1) : undefined,
    time: f.time as string | undefined,
  };
  const steps = slurmSteps({
    command: sub, args, out, array, node, cli: path.join(__dirname, 'cli.js'), cwd: process.cwd(), resources,
    path: [...new Set([path.dirname(node), '/usr/local/bin', '/usr/bin', '/bin'])].join(':'),
  });
  const sd = slurmDir(out);
  fs.mkdirSync(path.join(sd, 'logs'), { recursive: true });
  for (const s of steps) fs.writeFileSync(path.join(sd, s.name), s.script, { mode: 0o755 });
  const plan: Plan = { command: sub, out, steps: steps.map(({ script: _s, ...rest }) => rest) };
  fs.writeFileSync(path.join(sd, 'plan.json'), JSON.stringify(plan, null, 1));
  process.stdout.write(`wrote ${steps.map((s) => path.join(sd, s.name)).join(', ')}\n`);
  const chain = steps.map((s) => ({ name: s.name, tasks: null }));
  if (f.submit) submit(out, chain);
  else process.stdout.write(`submit with:\n${commands(out, chain).join('\n')}\n(or rerun with --submit)\n`);
}

/** The sbatch lines of a chain: each job after the previous one succeeded. */
function commands(out: string, chain: Array<{ name: string; tasks: string | null }>): string[] {
  return chain.map((s, i) => `${i ? `J${i}=$(sbatch --parsable --dependency=afterok:$J${i - 1}` : 'J0=$(sbatch --parsable'}` +
    `${s.tasks ? ` --array=${s.tasks}` : ''} ${shellQuote(path.join(slurmDir(out), s.name))})`);
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new EngineError('BACKEND_UNAVAILABLE', `'${cmd}' not found: Slurm is not installed on this machine (or not on PATH). ` +
      'The scripts are written; copy the job folder to a cluster login node and submit them there (docs/cluster.md).');
  if (r.error) throw new EngineError('BACKEND_UNAVAILABLE', `${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new EngineError('BACKEND_UNAVAILABLE', `${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

function submit(out: string, chain: Array<{ name: string; tasks: string | null }>): void {
  const done: Submission = { at: new Date().toISOString(), jobs: [] };
  let previous: string | undefined;
  for (const s of chain) {
    const id = run('sbatch', ['--parsable', ...(previous ? [`--dependency=afterok:${previous}`] : []), ...(s.tasks ? [`--array=${s.tasks}`] : []),
      path.join(slurmDir(out), s.name)]).split(';')[0];
    if (!/^\d+$/.test(id)) throw new EngineError('BACKEND_UNAVAILABLE', `sbatch printed '${id}', not a job id`);
    done.jobs.push({ name: s.name, id, tasks: s.tasks });
    previous = id;
    process.stdout.write(`submitted ${s.name}${s.tasks ? ` (tasks ${s.tasks})` : ''}: job ${id}\n`);
  }
  const file = path.join(slurmDir(out), 'jobs.json');
  const all = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { submissions: Submission[] }).submissions : [];
  fs.writeFileSync(file, JSON.stringify({ submissions: [...all, done] }, null, 1));
  process.stdout.write(`progress: node ${path.join(__dirname, 'cli.js')} status ${out}\n`);
}

/** Jobs of the last submission still known to squeue: [id, state, reason]. */
export function queuedJobs(out: string): Array<[string, string, string]> {
  const file = path.join(slurmDir(out), 'jobs.json');
  if (!fs.existsSync(file)) return [];
  const subs = (JSON.parse(fs.readFileSync(file, 'utf8')) as { submissions: Submission[] }).submissions;
  const ids = subs.at(-1)?.jobs.map((j) => j.id) ?? [];
  if (!ids.length) return [];
  const text = run('squeue', ['-h', '-j', ids.join(','), '-o', '%i %T %r']);
  return text.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/) as [string, string, string]);
}

function resume(out: string, doSubmit: boolean): void {
  const planFile = path.join(slurmDir(out), 'plan.json');
  if (!fs.existsSync(planFile)) throw new UsageError(`${out} has no slurm/plan.json: write the scripts with \`slurm pointing|probe … --out ${out}\` first`);
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as Plan;
  const status = jobFolderStatus(out);
  const chain: Array<{ name: string; tasks: string | null }> = [];
  for (const s of plan.steps) {
    if (s.array) {
      const p = status.jobs.find((j) => j.job === s.array!.kind && j.count === s.array!.count);
      const todo = p ? p.incomplete : Array.from({ length: s.array.count }, (_, i) => i);
      if (todo.length) chain.push({ name: s.name, tasks: todo.join(',') });
    } else if (chain.length || !fs.existsSync(path.join(out, s.output!))) chain.push({ name: s.name, tasks: null });
  }
  if (!chain.length) { process.stdout.write(`${out}: the job is complete, nothing to resubmit\n`); return; }
  if (!doSubmit) { process.stdout.write(`to resume:\n${commands(out, chain).join('\n')}\n(or rerun with --submit)\n`); return; }
  // Two tasks of one shard must never append to the same file: refuse while the last submission still runs; its
  // jobs left waiting on a dependency that can no longer be met are cancelled.
  const queued = queuedJobs(out);
  const stuck = queued.filter(([, state, reason]) => state === 'PENDING' && /DependencyNeverSatisfied/.test(reason));
  const live = queued.filter((q) => !stuck.includes(q));
  if (live.length) throw new UsageError(`jobs of the last submission are still ${live.map(([id, st]) => `${id} ${st}`).join(', ')}: wait, or scancel them first`);
  if (stuck.length) run('scancel', stuck.map(([id]) => id));
  submit(out, chain);
}
