// Registers "Explain Image with This Model…" and the Explain panel's serializer (restores panels after a reload).
import * as vscode from 'vscode';
import { EXPLAIN_VIEW_TYPE, type ExplanationEntry } from '../../webview/explainPanelProtocol';
import type { EngineClient } from '../engineClient';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { explainImage, type ExplainDeps } from './explainImage';
import { ExplainPanel, type PanelDeps } from './explainPanel';
import type { ExplainModelSource } from './modelChoices';

export const EXPLAIN_COMMAND = 'cnnLens.explainImage';

export interface ExplainFeatureDeps {
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
  /** The workspace model registry, when available: its models head the model quick pick. */
  models?: ExplainModelSource;
}

export function registerExplainFeatures(context: vscode.ExtensionContext, d: ExplainFeatureDeps): void {
  const deps: ExplainDeps = { ...d, extensionUri: context.extensionUri, memento: context.globalState };
  const panelDeps: PanelDeps = {
    extensionUri: context.extensionUri, out: d.out, notifier: d.notifier,
    compare: (imagePath) => void vscode.commands.executeCommand(EXPLAIN_COMMAND, { imageUri: vscode.Uri.file(imagePath) }),
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(EXPLAIN_COMMAND, async (arg: unknown): Promise<ExplanationEntry | undefined> => {
      try {
        return await explainImage(arg, deps, panelDeps);
      } catch (e) {
        // Shown once, here (a rethrow would add VS Code's own "command failed" toast); API callers get undefined.
        d.notifier.error('Explaining the image', e);
        return undefined;
      }
    }),
    vscode.window.registerWebviewPanelSerializer(EXPLAIN_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) { ExplainPanel.restore(panel, state, panelDeps); },
    }),
    { dispose: () => { for (const p of ExplainPanel.all()) p.panel.dispose(); } },
  );
}
