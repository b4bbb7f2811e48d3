// Registers "Probe Concepts…" (cnnLens.probeConcepts) and the Concepts panel's serializer (restores panels after a
// window reload from their saved report).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONCEPTS_VIEW_TYPE } from '../../webview/conceptsPanelProtocol';
import type { EngineClient } from '../engineClient';
import type { ExplainModelSource } from '../explain/modelChoices';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { ConceptsPanel, type ConceptsPanelDeps } from './conceptsPanel';
import { openProbeResult } from './openProbeResult';
import { probeConcepts, type ProbeDeps } from './probeConcepts';
import { ProbeResultStore } from './probeResultStore';

export const PROBE_COMMAND = 'cnnLens.probeConcepts';
export const OPEN_RESULT_COMMAND = 'cnnLens.openProbeResult';

export interface ProbeFeatureDeps {
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
  models?: ExplainModelSource;
}

export function registerProbeFeatures(context: vscode.ExtensionContext, d: ProbeFeatureDeps): void {
  const storageDir = context.globalStorageUri.fsPath;
  const panel: ConceptsPanelDeps = {
    extensionUri: context.extensionUri, engineClient: d.engineClient, out: d.out, notifier: d.notifier,
    results: new ProbeResultStore(path.join(storageDir, 'probe-results')),
  };
  const deps: ProbeDeps = {
    ...d, extensionUri: context.extensionUri, storageDir, memento: context.globalState, panel,
    openResult: async (file) => { await openProbeResult(file, panel); },
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(PROBE_COMMAND, async (arg: unknown) => {
      try {
        return await probeConcepts(arg, deps);
      } catch (e) {
        // Shown once, here (a rethrow would add VS Code's own "command failed" toast); API callers get undefined.
        d.notifier.error('Probing concepts', e);
        return undefined;
      }
    }),
    vscode.commands.registerCommand(OPEN_RESULT_COMMAND, async (arg: unknown) => {
      try {
        return await openProbeResult(arg, panel);
      } catch (e) {
        d.notifier.error('Opening the probe result', e);
        return undefined;
      }
    }),
    // Not contributed (no palette entry): the open Concepts panels as data, and their Cancel button, for the
    // integration and UI tests.
    vscode.commands.registerCommand('cnnLens.probe.panels', () => ConceptsPanel.all().map((p) => ({
      title: p.panel.title, running: p.isRunning, report: p.currentReport, rendered: p.rendered, rejectedMessages: p.rejectedMessages, failure: p.failure,
    }))),
    vscode.commands.registerCommand('cnnLens.probe.cancel', () => { for (const p of ConceptsPanel.all()) p.cancel(); }),
    vscode.window.registerWebviewPanelSerializer(CONCEPTS_VIEW_TYPE, {
      async deserializeWebviewPanel(webviewPanel, state) { ConceptsPanel.restore(webviewPanel, state, panel); },
    }),
    { dispose: () => { for (const p of ConceptsPanel.all()) p.panel.dispose(); } },
  );
}
