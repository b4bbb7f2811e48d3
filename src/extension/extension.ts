// Extension entry point. Activation is cheap on purpose: no TensorFlow.js here (it lives in dist/engineWorker.js),
// and the engine worker starts on the first command that needs it.
import * as vscode from 'vscode';
import type { CnnLensApi } from './api';
import { showEngineInfo } from './commands/showEngineInfo';
import { registerClusterFeatures } from './cluster/registerClusterFeatures';
import { EngineClient } from './engineClient';
import { registerExplainFeatures } from './explain/registerExplainFeatures';
import { registerModelFeatures } from './models/registerModelFeatures';
import { Notifier } from './notifier';
import { CnnLensOutput } from './output';
import { registerProbeFeatures } from './probing/registerProbeFeatures';
import { registerSimilarityFeatures } from './similarity/registerSimilarityFeatures';

export function activate(context: vscode.ExtensionContext): CnnLensApi {
  const out = new CnnLensOutput();
  const notifier = new Notifier(out);
  const engineClient = new EngineClient(context.extensionPath, out, notifier);
  context.subscriptions.push(
    out,
    engineClient,
    vscode.commands.registerCommand('cnnLens.showEngineInfo', () =>
      showEngineInfo(engineClient, out, notifier, context.extensionPath)),
  );
  const { registry } = registerModelFeatures(context, { engineClient, out, notifier });
  registerExplainFeatures(context, { engineClient, out, notifier, models: registry });
  registerSimilarityFeatures(context, { engineClient, out, notifier, models: registry });
  registerProbeFeatures(context, { engineClient, out, notifier, models: registry });
  registerClusterFeatures(context, { out, notifier, models: registry });
  return { engineClient, outputLines: () => out.lines(), notifications: () => notifier.history() };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes them (and so terminates the worker).
}
