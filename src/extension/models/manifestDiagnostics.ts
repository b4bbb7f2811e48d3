// Problems in the manifest as diagnostics (Problems panel + squiggles): syntax errors, invalid entries, model files
// that do not exist, and manifests shadowed by another one. Kept in step with the registry, which re-reads the
// manifest as it is edited.
import * as vscode from 'vscode';
import { LineIndex } from '../codelens/sourceText';
import { MANIFEST_LOCATIONS } from './manifestTypes';
import type { ModelRegistry } from './modelRegistry';

export class ManifestDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('cnn-lens-manifest');
  private readonly subscription: vscode.Disposable;

  constructor(private readonly registry: ModelRegistry) {
    this.subscription = registry.onDidChange(() => this.update());
    this.update();
  }

  /** The diagnostics currently shown for `uri` (for tests). */
  get(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }

  private update() {
    this.collection.clear();
    for (const state of this.registry.manifestStates()) {
      const lines = new LineIndex(state.text);
      const pos = (offset: number) => {
        const p = lines.position(offset);
        return new vscode.Position(p.line, p.column);
      };
      this.collection.set(state.uri, state.issues.map((i) => {
        const d = new vscode.Diagnostic(new vscode.Range(pos(i.offset), pos(i.offset + i.length)), i.message,
          i.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        d.source = 'CNN Lens';
        return d;
      }));
    }
    for (const uri of this.registry.shadowedManifests()) {
      const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 1),
        `Ignored: ${MANIFEST_LOCATIONS[0]} at the workspace folder root takes precedence over this manifest.`, vscode.DiagnosticSeverity.Warning);
      d.source = 'CNN Lens';
      this.collection.set(uri, [d]);
    }
  }
}
