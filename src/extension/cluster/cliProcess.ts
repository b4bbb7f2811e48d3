// Runs `node dist/cli.js …` as a child process, so a dataset-scale job never blocks the extension host: a cancellable
// progress notification (cancel = SIGINT, which the CLI turns into a clean engine cancellation; SIGKILL if it lingers),
// stderr mirrored to the output channel.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { CnnLensOutput } from '../output';
import { parseProgress } from './clusterCommandLine';

export interface CliResult { stdout: string; stderr: string }

const KILL_AFTER_MS = 5000;

export function cliPath(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'cli.js');
}

/** Runs the CLI to completion; rejects with the CLI's own error message (its last stderr lines). */
export function runCli(extensionPath: string, args: string[], out: CnnLensOutput,
  o: { token?: vscode.CancellationToken; onStderrLine?: (line: string) => void; cwd?: string; quiet?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  if (!o.quiet) out.info(`Running: node ${cliPath(extensionPath)} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    // In desktop VS Code process.execPath is Electron; this makes it behave as plain node.
    const child = spawn(process.execPath, [cliPath(extensionPath), ...args], {
      cwd: o.cwd, env: { ...process.env, ...o.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    let cancelled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) { if (!o.quiet) out.info(`  ${l.trim()}`); o.onStderrLine?.(l); }
    });
    const sub = o.token?.onCancellationRequested(() => {
      cancelled = true;
      child.kill('SIGINT');
      setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, KILL_AFTER_MS).unref();
    });
    child.on('error', (e) => { sub?.dispose(); reject(e); });
    child.on('close', (code, signal) => {
      sub?.dispose();
      if (cancelled) return reject(new EngineError('CANCELLED', 'Cancelled.'));
      if (code === 0) return resolve({ stdout, stderr });
      const why = stderr.trim().split('\n').slice(-3).join(' ').trim() || `exit ${code ?? signal}`;
      reject(new Error(`cli ${args[0]}${args[1] && !args[1].startsWith('-') ? ` ${args[1]}` : ''}: ${why}`));
    });
  });
}

/** The pointing game in a child process behind a cancellable notification with its item progress. */
export function runPointingHere(extensionPath: string, args: string[], out: CnnLensOutput, title: string): Promise<CliResult> {
  return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    let shown = 0;
    return runCli(extensionPath, args, out, {
      token,
      onStderrLine: (line) => {
        const p = parseProgress(line);
        if (!p || !p.total) return;
        const pct = (100 * p.done) / p.total;
        progress.report({ message: `${p.done}/${p.total} images`, increment: Math.max(0, pct - shown) });
        shown = Math.max(shown, pct);
      },
    });
  }));
}
