// Wires up "models in the workspace" and "CodeLens on model definitions": the registry, manifest diagnostics, the
// Models view, the lenses and their commands. Activation stays cheap: manifests are small reads; discovery and model
// loading wait until the view is shown or a command needs them.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { linkModel } from '../codelens/linkModel';
import { CODELENS_SETTING, ModelCodeLensProvider } from '../codelens/modelCodeLensProvider';
import { scanDocument, SOURCE_LANGUAGES } from '../codelens/documentScan';
import type { EngineClient } from '../engineClient';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { ManifestDiagnostics } from './manifestDiagnostics';
import { manifestWorkspaceEdit } from './manifestEdits';
import { draftManifestEntry } from './manifestEntryDraft';
import { addManifestEntry } from './manifestUpdates';
import { ModelDetailsCache } from './modelDetails';
import { ModelRegistry, type RegisteredModel, relativeTo } from './modelRegistry';
import { MODELS_VIEW_ID, type ModelsViewNode, ModelsViewProvider } from './modelsView';

export interface ModelFeatureDeps {
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
}

export interface ModelFeatures {
  registry: ModelRegistry;
}

/** What the view's and lenses' commands receive: a view row, a `{ modelId?, modelPath? }` object, or a file Uri. */
type ModelArg = { modelId?: string; modelPath?: string } | vscode.Uri | undefined;

export function registerModelFeatures(context: vscode.ExtensionContext, deps: ModelFeatureDeps): ModelFeatures {
  const { out, notifier } = deps;
  const registry = new ModelRegistry(context.workspaceState, out);
  const details = new ModelDetailsCache(deps.engineClient, registry);
  const view = new ModelsViewProvider(registry, details);
  const lenses = new ModelCodeLensProvider(registry);
  const diagnostics = new ManifestDiagnostics(registry);
  const selector: vscode.DocumentSelector = [
    ...SOURCE_LANGUAGES.map((language) => ({ language })),
    { language: 'json', pattern: '**/model.json' },
  ];

  const modelOf = async (arg: ModelArg): Promise<RegisteredModel | undefined> => {
    if (arg instanceof vscode.Uri) return (await registry.listAll(), registry.findByPath(arg));
    if (arg?.modelId !== undefined) return registry.get(arg.modelId);
    if (arg?.modelPath !== undefined) return (await registry.listAll(), registry.findByPath(arg.modelPath));
    return undefined;
  };
  /** Runs a command, reporting a failure once with its reason. */
  const guarded = <A extends unknown[], R>(what: string, f: (...a: A) => Promise<R>) => async (...a: A): Promise<R | undefined> => {
    try {
      return await f(...a);
    } catch (e) {
      notifier.error(what, e);
      return undefined;
    }
  };
  /** The analysis commands take `{ modelId?, modelPath? }`; a view row already has that shape. */
  const forward = (command: string) => async (arg: ModelArg) => {
    const model = await modelOf(arg);
    const target = model ? { modelId: model.id, modelPath: model.uri.fsPath } : arg instanceof vscode.Uri ? { modelPath: arg.fsPath } : arg;
    return vscode.commands.executeCommand(command, target);
  };

  const treeView = vscode.window.createTreeView<ModelsViewNode>(MODELS_VIEW_ID, { treeDataProvider: view, showCollapseAll: true });
  context.subscriptions.push(
    registry, view, lenses, diagnostics, treeView,
    vscode.languages.registerCodeLensProvider(selector, lenses),
    vscode.commands.registerCommand('cnnLens.models.refresh', guarded('Refreshing the models', async () => {
      details.clear();
      await registry.refresh();
      await registry.discover();
      return registry.list().map((m) => m.id);
    })),
    vscode.commands.registerCommand('cnnLens.models.openManifest', guarded('Opening the model manifest', (arg?: ModelArg) => openManifest(registry, arg, modelOf))),
    vscode.commands.registerCommand('cnnLens.models.addToManifest', guarded('Adding the model to the manifest', (arg?: ModelArg) => addToManifest(registry, arg))),
    vscode.commands.registerCommand('cnnLens.models.openDefinition', guarded('Opening the model definition', async (arg?: ModelArg) => {
      const model = await modelOf(arg);
      if (!model?.source) return;
      const doc = await vscode.workspace.openTextDocument(model.source.uri);
      const editor = await vscode.window.showTextDocument(doc);
      const at = scanDocument(doc).definitions.find((d) => d.name === model.source!.symbol);
      if (!at) return;
      editor.selection = new vscode.Selection(at.line, at.column, at.line, at.column + at.name.length);
      editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    })),
    vscode.commands.registerCommand('cnnLens.models.explain', forward('cnnLens.explainImage')),
    vscode.commands.registerCommand('cnnLens.models.probe', forward('cnnLens.probeConcepts')),
    vscode.commands.registerCommand('cnnLens.models.similarity', forward('cnnLens.similarityOverlay')),
    vscode.commands.registerCommand('cnnLens.linkModel', guarded('Linking the model', (args?: { uri?: vscode.Uri; symbol?: string }) => linkModel(registry, args))),
    vscode.commands.registerCommand(`${CODELENS_SETTING}.toggle`, async () => {
      const config = vscode.workspace.getConfiguration();
      await config.update(CODELENS_SETTING, !config.get<boolean>(CODELENS_SETTING, true), vscode.ConfigurationTarget.Global);
    }),
    // Not contributed (so not in the palette): the view's content as data, for the integration tests.
    vscode.commands.registerCommand('cnnLens.models.snapshot', async (opts?: { discover?: boolean; expand?: string[]; markUsed?: string }) => {
      await registry.ready();
      if (opts?.markUsed) await registry.markUsed(opts.markUsed);
      if (opts?.discover) await registry.discover();
      const rows = [];
      for (const node of (await view.getChildren()) as ModelsViewNode[]) {
        const model = registry.get(node.modelId)!;
        let children: { label: string; description?: string }[] | undefined;
        if (opts?.expand?.includes(node.modelId)) {
          await details.load(model);
          children = ((await view.getChildren(node)) as ModelsViewNode[]).map((c) => {
            const item = view.getTreeItem(c);
            return { label: String(item.label), description: item.description as string | undefined };
          });
        }
        const item = view.getTreeItem(node);
        rows.push({
          id: model.id, name: model.name, origin: model.origin, path: model.uri.fsPath, format: model.format,
          source: model.source && { path: model.source.uri.fsPath, symbol: model.source.symbol },
          spec: registry.toModelSpec(model), description: item.description, contextValue: item.contextValue, children,
        });
      }
      return { models: rows, diagnostics: registry.manifestStates().map((s) => ({ uri: s.uri.toString(), messages: diagnostics.get(s.uri).map((d) => d.message) })) };
    }),
  );
  return { registry };
}

async function openManifest(registry: ModelRegistry, arg: ModelArg, modelOf: (a: ModelArg) => Promise<RegisteredModel | undefined>): Promise<vscode.Uri | undefined> {
  const model = await modelOf(arg);
  if (model?.manifest) {
    const doc = await vscode.workspace.openTextDocument(model.manifest.uri);
    const start = doc.positionAt(model.manifest.offset);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(start, start) });
    return model.manifest.uri;
  }
  const folder = await pickFolder();
  if (!folder) return undefined;
  await registry.ready();
  const uri = registry.manifestUri(folder);
  const exists = registry.manifestStates().some((s) => s.uri.toString() === uri.toString());
  if (!exists) {
    const created = `${JSON.stringify({ models: [] }, null, 2)}\n`;
    const edit = await manifestWorkspaceEdit(uri, false, () => [], created);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not create ${uri.fsPath}`);
    await registry.refresh();
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  return uri;
}

async function addToManifest(registry: ModelRegistry, arg: ModelArg): Promise<{ modelId: string } | undefined> {
  let file: vscode.Uri | undefined = arg instanceof vscode.Uri ? arg : arg?.modelPath ? vscode.Uri.file(arg.modelPath) : undefined;
  if (!file && arg && !(arg instanceof vscode.Uri) && arg.modelId) file = registry.get(arg.modelId)?.uri;
  if (!file) {
    const discovered = (await registry.listAll()).filter((m) => m.origin === 'discovered');
    const picked = await vscode.window.showQuickPick(
      [...discovered.map((m) => ({ label: m.name, description: relativeTo(m.folder, m.uri), uri: m.uri })), { label: 'Browse…', uri: undefined }],
      { title: 'Add which model to the manifest?' });
    if (!picked) return undefined;
    file = picked.uri ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Models': ['json', 'onnx'] } }))?.[0];
    if (!file) return undefined;
  }
  await registry.ready();
  const known = registry.findByPath(file);
  if (known?.origin === 'manifest') {
    void vscode.window.showInformationMessage(`CNN Lens: ${known.name} is already in the manifest.`);
    return { modelId: known.id };
  }
  const folder = vscode.workspace.getWorkspaceFolder(file) ?? (await pickFolder());
  if (!folder) return undefined;
  const name = known?.name ?? (file.fsPath.toLowerCase().endsWith('.onnx') ? path.basename(file.fsPath, '.onnx') : path.basename(path.dirname(file.fsPath)));
  const entry = await draftManifestEntry(registry, { folder, modelUri: file, name });
  if (!entry) return undefined;
  const manifest = await addManifestEntry(registry, folder, entry);
  void vscode.window.showInformationMessage(`CNN Lens: added ${entry.name} to ${relativeTo(folder, manifest)}.`, 'Open Manifest')
    .then((c) => c && vscode.commands.executeCommand('cnnLens.models.openManifest', { modelId: entry.name }));
  return { modelId: entry.name };
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) {
    if (!folders.length) void vscode.window.showInformationMessage('CNN Lens: open a folder first; the model manifest lives in the workspace.');
    return folders[0];
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder\'s model manifest?' });
}
