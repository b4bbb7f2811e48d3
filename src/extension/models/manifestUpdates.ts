// Writes to the manifest: add an entry, or link an existing entry to a model definition. Each is one undoable
// WorkspaceEdit (Undo in the manifest's editor takes it back). The manifest is saved afterwards unless it already
// had unsaved changes, which are the person's to save.
import * as vscode from 'vscode';
import { editsForEntry, editsForSource, manifestWorkspaceEdit, textWithEntry } from './manifestEdits';
import type { ManifestEntry, ModelSourceLink } from './manifestTypes';
import type { ModelRegistry, RegisteredModel } from './modelRegistry';

export async function addManifestEntry(registry: ModelRegistry, folder: vscode.WorkspaceFolder, entry: ManifestEntry): Promise<vscode.Uri> {
  await registry.ready();
  const state = registry.manifestStates().find((m) => m.folder.uri.toString() === folder.uri.toString());
  const uri = registry.manifestUri(folder);
  const wasDirty = isDirty(uri);
  const edit = await manifestWorkspaceEdit(uri, !!state, (text) => editsForEntry(text, entry), textWithEntry(undefined, entry));
  await apply(edit, registry, uri, wasDirty);
  return uri;
}

export async function setManifestSource(registry: ModelRegistry, model: RegisteredModel, source: ModelSourceLink): Promise<vscode.Uri> {
  if (!model.manifest) throw new Error(`${model.name} is not in a manifest.`);
  const { uri, index } = model.manifest;
  const wasDirty = isDirty(uri);
  const edit = await manifestWorkspaceEdit(uri, true, (text) => editsForSource(text, index, source), '');
  await apply(edit, registry, uri, wasDirty);
  return uri;
}

const isDirty = (uri: vscode.Uri) => vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString() && d.isDirty);

async function apply(edit: vscode.WorkspaceEdit, registry: ModelRegistry, uri: vscode.Uri, wasDirty: boolean) {
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code did not apply the edit to the manifest.');
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!wasDirty && doc?.isDirty) await doc.save();
  // Read the result now rather than after the watcher's debounce, so callers see the new state.
  await registry.refresh();
}
