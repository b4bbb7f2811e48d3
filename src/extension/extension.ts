// Extension entry point. Activation is cheap on purpose: no TensorFlow.js here (it lives in dist/engineWorker.js),
// and the engine worker starts on the first command that needs it.
import * as vscode from 'vscode';
import type { CnnLensApi } from './api';
import { showEngineInfo } from './commands/showEngineInfo';
import { EngineClient } from './engineClient';
import { Notifier } from './notifier';
import { CnnLensOutput } from './output';

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
  return { engineClient, outputLines: () => out.lines(), notifications: () => notifier.history() };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes them (and so terminates the worker).
}
