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

export function registerClusterFeatures(context: vscode.ExtensionContext, d: ClusterFeatureDeps): SlurmJobMonitor {
  const monitor = new SlurmJobMonitor(context.extensionPath, d.out, d.notifier, context.workspaceState, {
    pointing: openPointingCsv,
    probe: async (file) => { await vscode.commands.executeCommand(OPEN_PROBE_RESULT_COMMAND, vscode.Uri.file(file)); },
  });
  setSlurmJobMonitor(monitor);
  context.subscriptions.push(
    monitor,
    { dispose: () => setSlurmJobMonitor(undefined) },
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
  );
  return monitor;
}
