// "Copy as CLI command": the `node dist/cli.js explain …` line that reproduces a run from a shell
// (flags as src/cli/explainCommand.ts and src/cli/args.ts define them). Pure, so it is unit-tested.
import * as path from 'node:path';
import type { BackendChoice, ModelSpec } from '../../engine/worker/protocol';

/** Settings the CLI has a flag for, and how each is written. Anything else cannot be passed on the command line. */
const FLAG_OF: Record<string, (v: unknown) => string | undefined> = {
  areas: (v) => (Array.isArray(v) ? v.join(',') : typeof v === 'number' ? String(v) : undefined),
  variant: (v) => (typeof v === 'string' ? v : undefined),
  perturbation: (v) => (typeof v === 'string' ? v : undefined),
  reward: (v) => (typeof v === 'string' ? v : undefined),
  iterations: (v) => (typeof v === 'number' ? String(v) : undefined),
  layer: (v) => (typeof v === 'string' ? v : undefined),
  seed: (v) => (typeof v === 'number' ? String(v) : undefined),
  maxIter: (v) => (typeof v === 'number' ? String(v) : undefined),
};
/** Setting keys whose CLI flag has another name. */
const FLAG_NAME: Record<string, string> = { maxIter: 'iterations' };

export interface CliRun {
  /** Absolute path of dist/cli.js. */
  cliPath: string;
  model: ModelSpec;
  imagePath: string;
  method: string;
  target: number;
  /** The settings the user asked for (not the engine's effective ones: defaults need no flag). */
  settings: Record<string, unknown>;
  backend: BackendChoice;
  outDir: string;
  platform?: NodeJS.Platform;
}

export interface CliCommand {
  command: string;
  /** Requested settings the CLI cannot express (the command then runs with their defaults). */
  unsupported: string[];
}

export function quoteArg(s: string, platform: NodeJS.Platform = process.platform): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  if (platform === 'win32') return `"${s.replace(/"/g, '""')}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function cliCommand(run: CliRun): CliCommand {
  const q = (s: string) => quoteArg(s, run.platform);
  const parts = ['node', q(run.cliPath), 'explain', '--model', q(run.model.path)];
  if (run.model.labels) parts.push('--labels', q(run.model.labels));
  const pre = run.model.preprocessing;
  if (pre?.inputRange) parts.push('--input-range', pre.inputRange.join(','));
  if (pre?.mean && pre.std) parts.push('--mean', pre.mean.join(','), '--std', pre.std.join(','));
  if (pre?.channels) parts.push('--channels', pre.channels);
  if (run.model.outputLayer) parts.push('--output-layer', q(run.model.outputLayer));
  parts.push('--image', q(run.imagePath), '--method', run.method, '--target', String(run.target));
  const unsupported: string[] = [];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(run.settings)) {
    const flag = FLAG_OF[k]?.(v);
    if (flag !== undefined) parts.push(`--${FLAG_NAME[k] ?? k}`, q(flag));
    else if (v !== undefined && JSON.stringify(v) !== undefined) rest[k] = v;
    else unsupported.push(k);
  }
  // Everything without a flag of its own goes through --settings as JSON, so the command reproduces the run.
  if (Object.keys(rest).length) parts.push('--settings', q(JSON.stringify(rest)));
  if (run.backend !== 'auto') parts.push('--backend', run.backend);
  parts.push('--out', q(run.outDir));
  let command = parts.join(' ');
  if (unsupported.length) command += `  # not expressible as CLI flags: ${unsupported.map((k) => `${k}=${JSON.stringify(run.settings[k])}`).join(' ')}`;
  return { command, unsupported };
}

/** A default output folder next to the image: `<image>-<method>-explanation`. */
export function defaultOutDir(imagePath: string, method: string): string {
  const base = path.basename(imagePath).replace(/\.[^.]+$/, '');
  return path.join(path.dirname(imagePath), `${base}-${method}-explanation`);
}
