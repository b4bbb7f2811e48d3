// Registers "Run Pointing Game…" (cnnLens.runPointingGame) and the Slurm job status bar item (issue #9).
import * as vscode from 'vscode';
import type { ExplainModelSource } from '../explain/modelChoices';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { openPointingCsv, runPointingGame } from './runPointingGame';
import { setSlurmJobMonitor, SHOW_JOBS_COMMAND, SlurmJobMonitor } from './slurmJobMonitor';
import { placeItems } from './slurmSubmission';

export const RUN_POINTING_COMMAND = 'cnnLens.runPointingGame';
/** Registered by src/extension/probing/registerProbeFeatures.ts. */
const OPEN_PROBE_RESULT_COMMAND = 'cnnLens.openProbeResult';

export interface ClusterFeatureDeps {
  out: CnnLensOutput;
  notifier: Notifier;
  models?: ExplainModelSource;
}

export function registerClusterFeatures(context: vscode.ExtensionContext, d: ClusterFeatureDeps): void {
  const reopen = {
    pointing: openPointingCsv,
    probe: async (file: string) => { await vscode.commands.executeCommand(OPEN_PROBE_RESULT_COMMAND, vscode.Uri.file(file)); },
  };
  // The watched jobs live in the workspace state: a new monitor (each activation, i.e. after a window reload or a
  // Remote-SSH reconnect) watches again what the previous one left there.
  const startMonitor = () => {
    const m = new SlurmJobMonitor(context.extensionPath, d.out, d.notifier, context.workspaceState, reopen);
    setSlurmJobMonitor(m);
    return m;
  };
  let monitor = startMonitor();
  context.subscriptions.push(
    { dispose: () => { monitor.dispose(); setSlurmJobMonitor(undefined); } },
    vscode.commands.registerCommand(RUN_POINTING_COMMAND, async (arg: unknown) => {
      try {
        return await runPointingGame(arg, { ...d, extensionPath: context.extensionPath, memento: context.globalState, monitor });
      } catch (e) {
        // Shown once, here; API callers get undefined.
        d.notifier.error('The pointing game', e);
        return undefined;
      }
    }),
    vscode.commands.registerCommand(SHOW_JOBS_COMMAND, () => monitor.showJobs()),
    // Not contributed (no palette entry): what "Run here / Run on Slurm…" offers for a search path, and the watched
    // jobs, for the integration tests.
    vscode.commands.registerCommand('cnnLens.cluster.placesOffered', (searchPath?: string) => placeItems(searchPath).map((i) => i.place)),
    vscode.commands.registerCommand('cnnLens.cluster.jobs', async (o?: { poll?: boolean }) => {
      if (o?.poll) await monitor.poll();
      return { jobs: monitor.jobs(), statusText: monitor.statusText };
    }),
    // "Resume on Slurm" of the status bar's job list, callable with the job folder (API callers, tests); errors are
    // shown once, here.
    vscode.commands.registerCommand('cnnLens.cluster.resumeJob', async (dir: unknown) => {
      try {
        if (typeof dir !== 'string') throw new Error('resumeJob takes the job folder');
        return await monitor.resume(dir);
      } catch (e) {
        d.notifier.error('Resuming the Slurm job', e);
        return undefined;
      }
    }),
    // Not contributed either: what a window reload does to the monitor (the old one disposed as on deactivation, a new
    // one started from the workspace state as on activation), since a test cannot reload the window it runs in.
    vscode.commands.registerCommand('cnnLens.cluster.reloadMonitor', () => {
      monitor.dispose();
      monitor = startMonitor();
      return { jobs: monitor.jobs(), statusText: monitor.statusText };
    }),
  );
}
