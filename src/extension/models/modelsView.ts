// The "Models" view in the CNN Lens view container: manifest models, then models discovered in the workspace.
// A model's input size, classes and layers are loaded by the engine only when its row is expanded.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelDetails, ModelDetailsCache } from './modelDetails';
import { type ModelRegistry, type RegisteredModel, relativeTo } from './modelRegistry';

export const MODELS_VIEW_ID = 'cnnLens.models';

/**
 * A model row. Carries `modelId` and `modelPath` so that it can be passed as-is to commands taking
 * `{ modelId?, modelPath? }` (cnnLens.explainImage and friends).
 */
export interface ModelNode {
  kind: 'model';
  modelId: string;
  modelPath: string;
}

/** A detail row under an expanded model. */
export interface DetailNode {
  kind: 'detail';
  modelId: string;
  label: string;
  description?: string;
  icon: string;
  tooltip?: string;
  command?: vscode.Command;
}

export type ModelsViewNode = ModelNode | DetailNode;

export class ModelsViewProvider implements vscode.TreeDataProvider<ModelsViewNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsViewNode | undefined>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  /** One node object per model id, so refreshing a single row works (VS Code compares by identity). */
  private readonly nodes = new Map<string, ModelNode>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly registry: ModelRegistry, private readonly details: ModelDetailsCache) {
    this.subscriptions.push(registry.onDidChange(() => this.changed.fire(undefined)));
  }

  getChildren(node?: ModelsViewNode): ModelsViewNode[] | Thenable<ModelsViewNode[]> {
    if (!node) return this.roots();
    if (node.kind === 'detail') return [];
    const model = this.registry.get(node.modelId);
    return model ? this.detailRows(model) : [];
  }

  getTreeItem(node: ModelsViewNode): vscode.TreeItem {
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.description = node.description;
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.tooltip = node.tooltip;
      item.command = node.command;
      item.contextValue = 'cnnLens.modelDetail';
      return item;
    }
    const model = this.registry.get(node.modelId);
    const item = new vscode.TreeItem(model?.name ?? node.modelId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.modelId;
    if (!model) return item;
    item.description = summary(model, this.details.peek(model));
    item.tooltip = tooltip(model);
    item.iconPath = new vscode.ThemeIcon(model.origin === 'manifest' ? 'symbol-class' : 'search');
    // package.json menus key off this: "linked" models also offer "Open Model Definition".
    item.contextValue = model.origin === 'discovered' ? 'cnnLens.model.discovered' : `cnnLens.model.manifest${model.source ? '.linked' : ''}`;
    item.resourceUri = model.uri;
    item.accessibilityInformation = { label: `${model.name}, ${model.origin === 'manifest' ? 'manifest model' : 'discovered model'}, ${item.description}` };
    return item;
  }

  getParent(node: ModelsViewNode): ModelsViewNode | undefined {
    return node.kind === 'detail' ? this.nodes.get(node.modelId) : undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  private async roots(): Promise<ModelNode[]> {
    await this.registry.ready();
    // Listing the view is "needing" discovery; the view shows manifest models at once and the rest when found.
    if (!this.registry.discoveryStarted) void this.registry.discover();
    return this.registry.list().map((m) => this.nodeFor(m));
  }

  private nodeFor(m: RegisteredModel): ModelNode {
    let node = this.nodes.get(m.id);
    if (!node || node.modelPath !== m.uri.fsPath) {
      node = { kind: 'model', modelId: m.id, modelPath: m.uri.fsPath };
      this.nodes.set(m.id, node);
    }
    return node;
  }

  private async detailRows(model: RegisteredModel): Promise<DetailNode[]> {
    const node = this.nodeFor(model);
    const known = this.details.peek(model);
    // First expansion: show a loading row now, the details when the engine answers.
    const details = known && known.state !== 'loading'
      ? await this.details.load(model, () => this.changed.fire(node))
      : await Promise.race([
        this.details.load(model, () => this.changed.fire(node)),
        new Promise<ModelDetails>((r) => setTimeout(() => r({ state: 'loading' }), 50)),
      ]);
    return rows(model, details);
  }
}

function rows(model: RegisteredModel, details: ModelDetails): DetailNode[] {
  const id = model.id;
  const out: DetailNode[] = [];
  if (details.state === 'loading') out.push({ kind: 'detail', modelId: id, label: 'Loading model details…', icon: 'loading~spin' });
  if (details.state === 'failed') out.push({ kind: 'detail', modelId: id, label: 'Could not load the model', description: details.message, tooltip: details.message, icon: 'error' });
  if (details.state === 'loaded') {
    const { info, labels } = details;
    const [h, w, c] = info.inputShape;
    out.push({ kind: 'detail', modelId: id, label: 'Input', description: `${h} × ${w} × ${c} (${info.layout})`, icon: 'symbol-array' });
    const names = labels ? `: ${labels.slice(0, 5).join(', ')}${labels.length > 5 ? ', …' : ''}` : ' (no labels file)';
    out.push({ kind: 'detail', modelId: id, label: 'Classes', description: `${info.numClasses}${names}`, icon: 'symbol-enum', tooltip: labels?.join(', ') });
    out.push({ kind: 'detail', modelId: id, label: 'Format', description: info.format, icon: 'file-binary' });
    out.push({ kind: 'detail', modelId: id, label: 'Layers', description: `${info.layers.length}, ${info.parameters.toLocaleString('en-US')} parameters; scores from ${info.scoreLayer}`, icon: 'layers' });
    if (model.entry?.gradCamLayer) out.push({ kind: 'detail', modelId: id, label: 'Grad-CAM layer', description: model.entry.gradCamLayer, icon: 'target' });
  }
  out.push({
    kind: 'detail', modelId: id, label: 'File', description: relativeTo(model.folder, model.uri), icon: 'file',
    command: { command: 'vscode.open', title: 'Open Model File', arguments: [model.uri] },
  });
  if (model.source) {
    out.push({
      kind: 'detail', modelId: id, label: 'Defined in', description: `${relativeTo(model.folder, model.source.uri)} › ${model.source.symbol}`, icon: 'symbol-class',
      command: { command: 'cnnLens.models.openDefinition', title: 'Open Model Definition', arguments: [{ modelId: id }] },
    });
  }
  return out;
}

/** "16×16×3 · 3 classes · tfjs-layers", as much as is known without loading (or after it). */
function summary(model: RegisteredModel, details: ModelDetails | undefined): string {
  const parts: string[] = [];
  if (details?.state === 'loaded') {
    parts.push(details.info.inputShape.join('×'), `${details.info.numClasses} classes`, details.info.format);
  } else {
    const pre = model.entry?.preprocessing;
    if (pre?.height && pre.width) parts.push(`${pre.height}×${pre.width}`);
    if (model.format) parts.push(model.format);
  }
  if (model.origin === 'discovered') parts.push(path.dirname(relativeTo(model.folder, model.uri)) || '.');
  return parts.join(' · ');
}

function tooltip(model: RegisteredModel): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(model.name)}**${model.entry?.description ? ` — ${escape(model.entry.description)}` : ''}\n\n`);
  md.appendMarkdown(`- File: \`${relativeTo(model.folder, model.uri)}\`\n`);
  md.appendMarkdown(`- Format: ${model.format ?? 'unknown'}\n`);
  if (model.labelsUri) md.appendMarkdown(`- Labels: \`${relativeTo(model.folder, model.labelsUri)}\`\n`);
  md.appendMarkdown(model.origin === 'manifest'
    ? `- In the manifest \`${relativeTo(model.folder, model.manifest!.uri)}\`\n`
    : '- Discovered in the workspace; not in the manifest\n');
  return md;
}

const escape = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
