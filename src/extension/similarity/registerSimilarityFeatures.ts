// Registers "Similarity Overlay with This Model…" (cnnLens.similarityOverlay) and the Similarity panel's serializer
// (restores panels after a window reload and recomputes their activations).
import * as vscode from 'vscode';
import { SIMILARITY_VIEW_TYPE } from '../../webview/similarityPanelProtocol';
import type { EngineClient } from '../engineClient';
import type { ExplainModelSource } from '../explain/modelChoices';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { similarityOverlay, type SimilarityDeps } from './similarityOverlayCommand';
import { SimilarityPanel, type SimilarityPanelDeps, type SimilaritySession } from './similarityPanel';

export const SIMILARITY_COMMAND = 'cnnLens.similarityOverlay';

export interface SimilarityFeatureDeps {
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
  models?: ExplainModelSource;
}

export function registerSimilarityFeatures(context: vscode.ExtensionContext, d: SimilarityFeatureDeps): void {
  const deps: SimilarityDeps = { ...d, extensionUri: context.extensionUri, memento: context.globalState };
  const panelDeps: SimilarityPanelDeps = { extensionUri: context.extensionUri, engineClient: d.engineClient, out: d.out, notifier: d.notifier };
  context.subscriptions.push(
    vscode.commands.registerCommand(SIMILARITY_COMMAND, async (arg: unknown, selected: unknown): Promise<SimilaritySession | undefined> => {
      try {
        return await similarityOverlay(arg, selected, deps);
      } catch (e) {
        // Shown once, here; API callers get undefined.
        d.notifier.error('The similarity overlay', e);
        return undefined;
      }
    }),
    // Not contributed (no palette entry): the open panels' sessions, for the integration and UI tests.
    vscode.commands.registerCommand('cnnLens.similarity.sessions', () => SimilarityPanel.all().map((p) => ({ ...p.session(), rejectedMessages: p.rejectedMessages }))),
    vscode.window.registerWebviewPanelSerializer(SIMILARITY_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) { SimilarityPanel.restore(panel, state, panelDeps); },
    }),
    { dispose: () => { for (const p of SimilarityPanel.all()) p.panel.dispose(); } },
  );
}
