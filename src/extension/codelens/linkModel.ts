// cnnLens.linkModel: links a model definition in source code to an exported model file, recorded in the manifest
// as the entry's `source` (class/variable name + source file). Proposes the files this source file exports first,
// then the workspace's models, then "Browse…".
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ManifestEntry } from '../models/manifestTypes';
import { draftManifestEntry } from '../models/manifestEntryDraft';
import { addManifestEntry, setManifestSource } from '../models/manifestUpdates';
import { type ModelRegistry, type RegisteredModel, relativeTo } from '../models/modelRegistry';
import { frameworkOf, scanDocument, SOURCE_LANGUAGES } from './documentScan';
import type { LinkModelArgs } from './modelCodeLensProvider';
import type { ModelDefinition, ModelExport } from './modelDefinition';
import { fileExists } from '../models/fileExists';

export interface LinkResult {
  modelId: string;
  manifest: vscode.Uri;
  /** True when a new manifest entry was written, false when an existing one got the link. */
  added: boolean;
}

interface CandidateItem extends vscode.QuickPickItem {
  uri?: vscode.Uri;
  model?: RegisteredModel;
  browse?: true;
}

/** Returns what was linked, or undefined when cancelled (or nothing to link). */
export async function linkModel(registry: ModelRegistry, args?: Partial<LinkModelArgs>): Promise<LinkResult | undefined> {
  const doc = args?.uri ? await vscode.workspace.openTextDocument(vscode.Uri.parse(String(args.uri), true)) : vscode.window.activeTextEditor?.document;
  if (!doc || !SOURCE_LANGUAGES.includes(doc.languageId)) {
    void vscode.window.showInformationMessage('CNN Lens: open a Python, TypeScript or JavaScript file with a model definition to link it to a model file.');
    return undefined;
  }
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  if (!folder) {
    void vscode.window.showInformationMessage('CNN Lens: links are recorded in the workspace manifest; open the file inside a workspace folder.');
    return undefined;
  }
  const scan = scanDocument(doc);
  const definition = await pickDefinition(scan.definitions, args?.symbol, doc);
  if (!definition) return undefined;

  const chosen = await pickModelFile(registry, folder, doc, definition, scan.exports);
  if (!chosen) return undefined;
  const source = { file: relativeTo(folder, doc.uri), symbol: definition.name };

  const existing = chosen.model?.origin === 'manifest' ? chosen.model : registry.findByPath(chosen.uri!);
  let result: LinkResult;
  if (existing?.origin === 'manifest') {
    const manifest = await setManifestSource(registry, existing, source);
    result = { modelId: existing.id, manifest, added: false };
  } else {
    const entry: ManifestEntry | undefined = await draftManifestEntry(registry, {
      folder, modelUri: chosen.uri!, name: definition.name, source, framework: frameworkOf(definition.kind),
    });
    if (!entry) return undefined;
    const manifest = await addManifestEntry(registry, folder, entry);
    result = { modelId: entry.name, manifest, added: true };
  }
  const file = relativeTo(folder, (registry.get(result.modelId) ?? existing)?.uri ?? chosen.uri!);
  void vscode.window.showInformationMessage(`CNN Lens: linked ${definition.name} to ${file} in ${relativeTo(folder, result.manifest)}.`, 'Open Manifest')
    .then((c) => c && vscode.commands.executeCommand('cnnLens.models.openManifest', { modelId: result.modelId }));
  return result;
}

async function pickDefinition(defs: ModelDefinition[], symbol: string | undefined, doc: vscode.TextDocument): Promise<ModelDefinition | undefined> {
  if (symbol) return defs.find((d) => d.name === symbol);
  if (!defs.length) {
    void vscode.window.showInformationMessage(`CNN Lens: no model definition (nn.Module, keras.Model, Sequential, tf.sequential…) in ${path.basename(doc.uri.fsPath)}.`);
    return undefined;
  }
  // From the palette: the definition at or above the cursor, else ask.
  const editor = vscode.window.activeTextEditor;
  if (editor?.document === doc) {
    const above = defs.filter((d) => d.line <= editor.selection.active.line).at(-1);
    if (above) return above;
  }
  if (defs.length === 1) return defs[0];
  const picked = await vscode.window.showQuickPick(defs.map((d) => ({ label: d.name, description: `line ${d.line + 1}`, d })), { title: 'Link which model definition?' });
  return picked?.d;
}

async function pickModelFile(
  registry: ModelRegistry, folder: vscode.WorkspaceFolder, doc: vscode.TextDocument, def: ModelDefinition, exports: ModelExport[],
): Promise<{ uri?: vscode.Uri; model?: RegisteredModel } | undefined> {
  const items: CandidateItem[] = [];
  const seen = new Set<string>();
  if (exports.length) items.push({ label: `Exported by ${path.basename(doc.uri.fsPath)}`, kind: vscode.QuickPickItemKind.Separator });
  for (const e of exports) {
    const uri = await resolveExport(folder, doc.uri, e.modelFile);
    if (seen.has(uri.fsPath)) continue;
    seen.add(uri.fsPath);
    const found = await fileExists(uri.fsPath);
    items.push({
      label: relativeTo(folder, uri), uri, iconPath: new vscode.ThemeIcon(found ? 'export' : 'warning'),
      description: `line ${e.line + 1}${found ? '' : ' · not exported yet: run the script first'}`,
    });
  }
  const models = await registry.listAll();
  const others = models.filter((m) => !seen.has(m.uri.fsPath));
  if (others.length) items.push({ label: 'Models in the workspace', kind: vscode.QuickPickItemKind.Separator });
  for (const m of others) {
    seen.add(m.uri.fsPath);
    items.push({
      label: relativeTo(folder, m.uri), model: m, iconPath: new vscode.ThemeIcon(m.origin === 'manifest' ? 'symbol-class' : 'search'),
      description: m.origin === 'manifest' ? `manifest: ${m.name}${m.source ? ` (linked to ${m.source.symbol})` : ''}` : 'discovered',
    });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: 'Browse…', description: 'a model.json or .onnx file', browse: true, iconPath: new vscode.ThemeIcon('folder-opened') });

  const picked = await vscode.window.showQuickPick(items, {
    title: `Link ${def.name} to its exported model`, placeHolder: 'The model file (TF.js model.json or .onnx) this definition was exported to',
    matchOnDescription: true, ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (!picked.browse) return { uri: picked.uri ?? picked.model?.uri, model: picked.model };
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false, defaultUri: folder.uri, openLabel: 'Link Model', filters: { 'Models': ['json', 'onnx'] },
  });
  return files?.[0] ? { uri: files[0] } : undefined;
}

/** Export paths are relative to the working directory the script ran in: the workspace folder, else the file's. */
async function resolveExport(folder: vscode.WorkspaceFolder, source: vscode.Uri, p: string): Promise<vscode.Uri> {
  if (path.isAbsolute(p)) return vscode.Uri.file(path.normalize(p));
  const fromFolder = vscode.Uri.file(path.join(folder.uri.fsPath, p));
  const fromFile = vscode.Uri.file(path.join(path.dirname(source.fsPath), p));
  if (!(await fileExists(fromFolder.fsPath)) && (await fileExists(fromFile.fsPath))) return fromFile;
  return fromFolder;
}
