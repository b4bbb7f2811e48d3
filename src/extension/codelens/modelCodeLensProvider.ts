// CodeLens on model definitions. A definition linked (in the manifest) to an exported model offers the analyses;
// an unlinked one offers "Link exported model…"; a TF.js model.json offers the analyses on itself.
import * as vscode from 'vscode';
import type { ModelRegistry } from '../models/modelRegistry';
import { scanDocument } from './documentScan';
import type { ModelDefinition } from './modelDefinition';

export const CODELENS_SETTING = 'cnnLens.codeLens.enabled';

/** Titles, exported for the tests. */
export const LENS_TITLES = {
  explain: 'Explain image…',
  probe: 'Probe concepts…',
  similarity: 'Similarity overlay…',
  link: 'Link exported model…',
  add: 'Add to manifest…',
} as const;

/** Arguments of cnnLens.linkModel. */
export interface LinkModelArgs {
  uri: vscode.Uri;
  symbol: string;
}

export class ModelCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly registry: ModelRegistry) {
    this.subscriptions.push(
      registry.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(CODELENS_SETTING) && this.changed.fire()),
    );
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.getConfiguration().get<boolean>(CODELENS_SETTING, true)) return [];
    const { definitions } = scanDocument(doc);
    if (!definitions.length) return [];
    await this.registry.ready();
    if (token.isCancellationRequested) return [];
    return definitions.flatMap((d) => this.lensesFor(doc, d));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  private lensesFor(doc: vscode.TextDocument, d: ModelDefinition): vscode.CodeLens[] {
    const range = new vscode.Range(d.line, d.column, d.line, d.column + d.name.length);
    if (d.kind === 'tfjs-model-json') {
      const model = this.registry.findByPath(doc.uri);
      const target = { modelId: model?.id, modelPath: doc.uri.fsPath };
      const lenses = analysisLenses(range, target, model?.name ?? 'this model');
      if (model?.origin !== 'manifest')
        lenses.push(new vscode.CodeLens(range, { title: LENS_TITLES.add, command: 'cnnLens.models.addToManifest', arguments: [{ modelPath: doc.uri.fsPath }], tooltip: 'Add this model to the workspace manifest (cnn-lens.json)' }));
      return lenses;
    }
    const linked = this.registry.findLinked(doc.uri, d.name);
    if (linked) return analysisLenses(range, { modelId: linked.id, modelPath: linked.uri.fsPath }, linked.name);
    const args: LinkModelArgs = { uri: doc.uri, symbol: d.name };
    return [new vscode.CodeLens(range, {
      title: LENS_TITLES.link, command: 'cnnLens.linkModel', arguments: [args],
      tooltip: `Choose the model file exported from ${d.name} and record the link in the workspace manifest`,
    })];
  }
}

function analysisLenses(range: vscode.Range, target: { modelId?: string; modelPath: string }, name: string): vscode.CodeLens[] {
  return [
    new vscode.CodeLens(range, { title: LENS_TITLES.explain, command: 'cnnLens.explainImage', arguments: [target], tooltip: `Explain an image with ${name}` }),
    new vscode.CodeLens(range, { title: LENS_TITLES.probe, command: 'cnnLens.probeConcepts', arguments: [target], tooltip: `Probe ${name} for concepts` }),
    new vscode.CodeLens(range, { title: LENS_TITLES.similarity, command: 'cnnLens.similarityOverlay', arguments: [target], tooltip: `Similarity overlay with ${name}` }),
  ];
}
