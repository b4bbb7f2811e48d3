// The models CNN Lens knows in this workspace: the entries of each folder's manifest (cnn-lens.json or
// .vscode/cnn-lens.json) and, once someone asks, the model files discovered in the workspace. The one place that
// turns a model into the engine's ModelSpec, and remembers which model was used last (quick picks list it first).
// Cheap by design: reading a manifest is a small file read; discovery (a findFiles) runs only when first needed;
// nothing here loads a model.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSpec } from '../../engine/worker/protocol';
import type { CnnLensOutput } from '../output';
import { type ManifestIssue, parseManifest } from './manifestParser';
import { type ManifestEntry, MANIFEST_LOCATIONS, type ModelFormat } from './manifestTypes';
import { modelFileFormat } from './modelFileSniffer';
import { fileExists } from './fileExists';

export type ModelOrigin = 'manifest' | 'discovered';

export interface RegisteredModel {
  /** Manifest models: their name. Discovered ones: "discovered:" + the workspace-relative path. */
  id: string;
  /** What the UI shows. */
  name: string;
  origin: ModelOrigin;
  /** The model file (model.json or .onnx). */
  uri: vscode.Uri;
  /** From the manifest, else sniffed from the file; undefined when not known (yet). */
  format?: ModelFormat;
  folder: vscode.WorkspaceFolder;
  /** Manifest models: the entry as written. */
  entry?: ManifestEntry;
  /** Manifest models: which manifest, and where in it the entry is. */
  manifest?: { uri: vscode.Uri; index: number; offset: number; length: number };
  /** Labels file: from the manifest, or found next to a discovered model. */
  labelsUri?: vscode.Uri;
  /** Manifest models linked to a model definition in source code. */
  source?: { uri: vscode.Uri; symbol: string };
}

/** One folder's manifest as last read. */
export interface ManifestState {
  folder: vscode.WorkspaceFolder;
  uri: vscode.Uri;
  text: string;
  issues: ManifestIssue[];
  models: RegisteredModel[];
}

/** Files found next to a model that hold its class names (checked in this order). */
export const LABEL_FILE_NAMES = ['labels.json', 'labels.txt', 'classes.json', 'classes.txt', 'synset.txt'];
const DISCOVERY_GLOB = '**/{model.json,*.onnx}';
const DISCOVERY_EXCLUDE = '**/{node_modules,.git,.venv,venv,__pycache__,.vscode-test,dist,out}/**';
const MAX_DISCOVERED = 500;
const LAST_USED_KEY = 'cnnLens.models.lastUsed';
const DISCOVER_SETTING = 'cnnLens.models.discover';

export class ModelRegistry implements vscode.Disposable {
  private readonly manifests = new Map<string, ManifestState>();
  /** Manifests that exist but are shadowed by one of higher precedence in the same folder. */
  private readonly shadowed = new Map<string, vscode.Uri[]>();
  private discovered: RegisteredModel[] = [];
  private discovery: Promise<void> | undefined;
  private loading: Promise<void>;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Debounced manifest reads per folder: the timer and the resolver of the promise ready() waits on. */
  private readonly scheduled = new Map<string, { timer: NodeJS.Timeout; resolve: () => void }>();

  /** Fires after manifests are re-read or discovery finds a different set of files. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento, private readonly out: CnnLensOutput) {
    this.loading = this.reloadAll();
    const watcher = vscode.workspace.createFileSystemWatcher(`**/{${MANIFEST_LOCATIONS.join(',')}}`);
    const onManifestFile = (uri: vscode.Uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (folder && manifestUris(folder).some((u) => u.toString() === uri.toString())) this.schedule(folder);
    };
    this.subscriptions.push(
      watcher, watcher.onDidCreate(onManifestFile), watcher.onDidChange(onManifestFile), watcher.onDidDelete(onManifestFile),
      // Edits count before they are saved, so lenses and diagnostics follow the editor.
      vscode.workspace.onDidChangeTextDocument((e) => onManifestFile(e.document.uri)),
      vscode.workspace.onDidCloseTextDocument((d) => onManifestFile(d.uri)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => { this.loading = this.reloadAll(); this.rediscover(); }),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(DISCOVER_SETTING) && this.rediscover()),
    );
  }

  /** Resolves once every manifest has been read (it is read at construction and after every change). */
  async ready(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.loading;
      await current;
    } while (current !== this.loading);
  }

  /**
   * Manifest models, then (after discover()) discovered ones; the models used most recently first, the rest in
   * manifest order, then by path.
   */
  list(): RegisteredModel[] {
    const used = this.lastUsed();
    const all = [...[...this.manifests.values()].flatMap((m) => m.models), ...this.discovered];
    return all
      .map((m, order) => ({ m, order, t: used[m.id] ?? 0 }))
      .sort((a, b) => b.t - a.t || a.order - b.order)
      .map((x) => x.m);
  }

  /** Manifests read and discovery done: the full list. */
  async listAll(): Promise<RegisteredModel[]> {
    await this.ready();
    await this.discover();
    return this.list();
  }

  get(id: string): RegisteredModel | undefined {
    return this.list().find((m) => m.id === id);
  }

  /** The registered (preferred) or discovered model whose file is `file`. */
  findByPath(file: string | vscode.Uri): RegisteredModel | undefined {
    const p = typeof file === 'string' ? path.resolve(file) : file.fsPath;
    const all = this.list();
    return all.find((m) => m.origin === 'manifest' && m.uri.fsPath === p) ?? all.find((m) => m.uri.fsPath === p);
  }

  /** The manifest model linked to the definition `symbol` in source file `uri`. */
  findLinked(uri: vscode.Uri, symbol: string): RegisteredModel | undefined {
    return [...this.manifests.values()].flatMap((m) => m.models)
      .find((m) => m.source?.symbol === symbol && m.source.uri.fsPath === uri.fsPath);
  }

  /** The engine's description of a model: absolute paths, the manifest's preprocessing and output layer. */
  toModelSpec(model: RegisteredModel): ModelSpec {
    const spec: ModelSpec = { path: model.uri.fsPath };
    if (model.labelsUri) spec.labels = model.labelsUri.fsPath;
    if (model.entry?.preprocessing) spec.preprocessing = { ...model.entry.preprocessing };
    if (model.entry?.outputLayer) spec.outputLayer = model.entry.outputLayer;
    return spec;
  }

  /** Remembers that `id` was just used, so it comes first in list(). */
  async markUsed(id: string): Promise<void> {
    await this.state.update(LAST_USED_KEY, { ...this.lastUsed(), [id]: Date.now() });
    this.changed.fire();
  }

  /** Each folder's manifest as last read (for diagnostics and edits). */
  manifestStates(): ManifestState[] {
    return [...this.manifests.values()];
  }

  /** Manifests ignored because another one in the same folder takes precedence. */
  shadowedManifests(): vscode.Uri[] {
    return [...this.shadowed.values()].flat();
  }

  /** Where `folder`'s manifest is, or would be created. */
  manifestUri(folder: vscode.WorkspaceFolder): vscode.Uri {
    return this.manifests.get(folder.uri.toString())?.uri ?? vscode.Uri.joinPath(folder.uri, MANIFEST_LOCATIONS[0]);
  }

  /** Runs workspace discovery once (again after model files appear or vanish). Honours cnnLens.models.discover. */
  discover(): Promise<void> {
    this.discovery ??= this.runDiscovery();
    return this.discovery;
  }

  /** True once discovery has run (or is running). */
  get discoveryStarted(): boolean {
    return this.discovery !== undefined;
  }

  /** Re-reads every manifest now (the view's refresh) and redoes discovery if it had run. */
  async refresh(): Promise<void> {
    this.loading = this.reloadAll();
    await this.ready();
    if (this.discovery) {
      this.discovery = undefined;
      await this.discover();
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const { timer, resolve } of this.scheduled.values()) {
      clearTimeout(timer);
      resolve();
    }
    for (const s of this.subscriptions) s.dispose();
  }

  private lastUsed(): Record<string, number> {
    return this.state.get<Record<string, number>>(LAST_USED_KEY, {});
  }

  /**
   * Re-reads a folder's manifest after a short debounce. A reschedule keeps the pending read's promise (and resolves
   * it when the later read finishes): replacing it would leave whoever awaits ready() on it waiting forever.
   */
  private schedule(folder: vscode.WorkspaceFolder) {
    const key = folder.uri.toString();
    const pending = this.scheduled.get(key);
    let resolve!: () => void;
    if (pending) {
      clearTimeout(pending.timer);
      resolve = pending.resolve;
    } else {
      this.loading = new Promise<void>((r) => { resolve = r; });
    }
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      void this.reloadFolder(folder).then(() => this.changed.fire()).finally(resolve);
    }, 120);
    this.scheduled.set(key, { timer, resolve });
  }

  private rediscover() {
    if (!this.discovery) return;
    const key = 'discovery';
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.discovery = this.runDiscovery();
    }, 500));
  }

  private async reloadAll(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    for (const key of [...this.manifests.keys()]) if (!folders.some((f) => f.uri.toString() === key)) this.manifests.delete(key);
    await Promise.all(folders.map((f) => this.reloadFolder(f)));
    this.changed.fire();
  }

  private async reloadFolder(folder: vscode.WorkspaceFolder): Promise<void> {
    const key = folder.uri.toString();
    const found: { uri: vscode.Uri; text: string }[] = [];
    for (const uri of manifestUris(folder)) {
      const text = await readText(uri);
      if (text !== undefined) found.push({ uri, text });
    }
    this.shadowed.set(key, found.slice(1).map((f) => f.uri));
    const first = found[0];
    if (!first) {
      this.manifests.delete(key);
      return;
    }
    const parsed = parseManifest(first.text);
    const issues = [...parsed.issues];
    const models: RegisteredModel[] = [];
    for (const { entry, index, range, pathRange } of parsed.entries) {
      const uri = resolveIn(folder, entry.path);
      if (!(await fileExists(uri.fsPath)))
        issues.push({ ...pathRange, severity: 'warning', message: `No model file at ${uri.fsPath} (yet).` });
      const model: RegisteredModel = {
        id: entry.name, name: entry.name, origin: 'manifest', uri, folder, entry,
        format: entry.format ?? (await modelFileFormat(uri.fsPath)),
        manifest: { uri: first.uri, index, ...range },
      };
      if (entry.labels) model.labelsUri = resolveIn(folder, entry.labels);
      if (entry.source) model.source = { uri: resolveIn(folder, entry.source.file), symbol: entry.source.symbol };
      models.push(model);
    }
    this.manifests.set(key, { folder, uri: first.uri, text: first.text, issues, models });
    // A discovered file that is now in the manifest is listed once, as the manifest model.
    this.discovered = this.discovered.filter((d) => !this.inManifest(d.uri));
  }

  private inManifest(uri: vscode.Uri): boolean {
    for (const m of this.manifests.values()) if (m.models.some((x) => x.uri.fsPath === uri.fsPath)) return true;
    return false;
  }

  private async runDiscovery(): Promise<void> {
    await this.ready();
    if (!vscode.workspace.getConfiguration().get<boolean>(DISCOVER_SETTING, true)) {
      this.setDiscovered([]);
      return;
    }
    const t0 = Date.now();
    const files = await vscode.workspace.findFiles(DISCOVERY_GLOB, DISCOVERY_EXCLUDE, MAX_DISCOVERED);
    const found: RegisteredModel[] = [];
    for (const uri of files.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder || this.inManifest(uri)) continue;
      const format = await modelFileFormat(uri.fsPath);
      if (!format) continue; // a model.json that is not a TF.js model (package metadata, a dataset…)
      const rel = relativeTo(folder, uri);
      const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
      const model: RegisteredModel = {
        id: `discovered:${multi ? `${folder.name}/` : ''}${rel}`,
        name: format === 'onnx' ? path.basename(uri.fsPath, '.onnx') : path.basename(path.dirname(uri.fsPath)) || rel,
        origin: 'discovered', uri, folder, format,
      };
      const labels = await labelsNextTo(uri.fsPath);
      if (labels) model.labelsUri = vscode.Uri.file(labels);
      found.push(model);
    }
    this.out.info(`Model discovery: ${found.length} model file(s) outside the manifest, in ${Date.now() - t0} ms.`);
    this.setDiscovered(found);
  }

  private setDiscovered(models: RegisteredModel[]) {
    const before = this.discovered.map((m) => m.id).join('\n');
    this.discovered = models;
    if (models.map((m) => m.id).join('\n') !== before) this.changed.fire();
  }
}

/** The manifest locations of a folder, in order of precedence. */
export function manifestUris(folder: vscode.WorkspaceFolder): vscode.Uri[] {
  return MANIFEST_LOCATIONS.map((p) => vscode.Uri.joinPath(folder.uri, p));
}

/** A manifest path (absolute, or relative to the workspace folder) as a Uri. */
export function resolveIn(folder: vscode.WorkspaceFolder, p: string): vscode.Uri {
  return path.isAbsolute(p) ? vscode.Uri.file(path.normalize(p)) : vscode.Uri.file(path.join(folder.uri.fsPath, p));
}

/** `uri` relative to `folder` with forward slashes, as the manifest writes paths. */
export function relativeTo(folder: vscode.WorkspaceFolder, uri: vscode.Uri): string {
  return path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
}

/** The first known labels file in the model's folder. */
export async function labelsNextTo(modelFile: string): Promise<string | undefined> {
  for (const name of LABEL_FILE_NAMES) {
    const p = path.join(path.dirname(modelFile), name);
    if (await fileExists(p)) return p;
  }
  return undefined;
}

/** The text of an open document (unsaved edits included), else of the file; undefined when neither exists. */
async function readText(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open && !open.isClosed) return open.getText();
  try {
    return await fs.readFile(uri.fsPath, 'utf8');
  } catch {
    return undefined;
  }
}
