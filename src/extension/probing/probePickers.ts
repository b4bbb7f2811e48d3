// The quick picks of "Probe Concepts…" (issue #5): model, layer (spatial layers with their output shapes), dataset
// folder (recent ones first, format detected), concepts (all, a category, or a searchable multi-pick) and probe kinds.
// Each returns undefined when the user backs out.
import * as vscode from 'vscode';
import type { ModelInfo } from '../../engine/model/modelTypes';
import type { ProbeKind } from '../../engine/probing/probeTypes';
import { spatialLayers } from '../explain/explainPickers';
import type { ModelChoice } from '../explain/modelChoices';
import type { DatasetOutline } from './datasetConcepts';

export const STEPS = 5;
const title = (step: number, what: string) => `Probe Concepts (${step}/${STEPS}): ${what}`;

export async function pickProbeModel(choices: ModelChoice[]): Promise<ModelChoice | undefined> {
  type Item = vscode.QuickPickItem & { choice?: ModelChoice };
  const items: Item[] = choices.map((c, i) => ({
    label: c.name, detail: c.spec.path, choice: c,
    description: [c.description, i === 0 && choices.length > 1 ? 'last used' : ''].filter(Boolean).join(' · '),
  }));
  items.push({ label: '$(folder-opened) Browse for a model…', alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title: title(1, 'model'), placeHolder: 'Which model\'s filters should be probed for concepts?', matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.choice) return picked.choice;
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Models: ['json', 'onnx'] }, openLabel: 'Probe this model' });
  const p = uris?.[0]?.fsPath;
  return p ? { key: p, name: p, spec: { path: p } } : undefined;
}

/** Spatial layers, deepest first (NetDissect's usual choice is a late convolutional layer). */
export async function pickProbeLayer(info: ModelInfo): Promise<string | undefined> {
  const names = new Set(spatialLayers(info));
  // The input itself is no layer of filters.
  const layers = info.layers.filter((l) => names.has(l.name) && l.type !== 'InputLayer').reverse();
  if (!layers.length) throw new Error(`${info.name} has no spatial layer (an output of height and width > 1) to probe.`);
  const items = layers.map((l) => ({
    label: l.name, description: `${l.outputShape[0]}×${l.outputShape[1]} · ${l.outputShape[2]} filters · ${l.type}`,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: title(2, 'layer'), placeHolder: 'Which layer\'s filters? (deepest first)', matchOnDescription: true });
  return picked?.label;
}

const RECENT_DATASETS_KEY = 'cnnLens.probe.recentDatasets';

export async function rememberDataset(memento: vscode.Memento, folder: string): Promise<void> {
  const recent = memento.get<string[]>(RECENT_DATASETS_KEY, []).filter((f) => f !== folder);
  await memento.update(RECENT_DATASETS_KEY, [folder, ...recent].slice(0, 10));
}

export async function pickDataset(memento: vscode.Memento): Promise<string | undefined> {
  const recent = memento.get<string[]>(RECENT_DATASETS_KEY, []);
  if (recent.length) {
    type Item = vscode.QuickPickItem & { folder?: string };
    const items: Item[] = recent.map((f) => ({ label: vscode.workspace.asRelativePath(f, true), detail: f, folder: f }));
    items.push({ label: '$(folder-opened) Browse for a dataset folder…', alwaysShow: true });
    const picked = await vscode.window.showQuickPick(items, { title: title(3, 'dataset'), placeHolder: 'A Broden folder (index.csv …) or <root>/<concept>/ image folders' });
    if (!picked) return undefined;
    if (picked.folder) return picked.folder;
  }
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Probe with this dataset',
    title: 'Dataset: a Broden folder (index.csv, label.csv, …) or a folder of concept folders',
  });
  return uris?.[0]?.fsPath;
}

export interface ConceptSelection { concepts?: string[]; categories?: string[] }

/** All concepts, one category's, or a searchable multi-pick. `{}` means all. */
export async function pickConcepts(outline: DatasetOutline): Promise<ConceptSelection | undefined> {
  const byCategory = new Map<string, string[]>();
  for (const c of outline.concepts) byCategory.set(c.category, [...(byCategory.get(c.category) ?? []), c.name]);
  type Item = vscode.QuickPickItem & { select: 'all' | 'category' | 'some'; category?: string };
  const fmt = outline.format === 'broden' ? 'Broden' : `concept folders${outline.hasMasks ? ', with masks' : ', no masks: classification only'}`;
  const items: Item[] = [
    { label: `All ${outline.concepts.length} concepts`, description: fmt, select: 'all' },
    { label: '$(search) Choose concepts…', description: 'searchable multi-pick', select: 'some' },
  ];
  if (byCategory.size > 1) {
    items.push({ label: 'categories', kind: vscode.QuickPickItemKind.Separator, select: 'all' });
    for (const [category, names] of byCategory) items.push({ label: `All of ${category}`, description: `${names.length} concepts: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}`, select: 'category', category });
  }
  const picked = await vscode.window.showQuickPick(items, { title: title(4, 'concepts'), placeHolder: `Which concepts of ${outline.root}?` });
  if (!picked) return undefined;
  if (picked.select === 'all') return {};
  if (picked.select === 'category') return { categories: [picked.category!] };
  const some = await vscode.window.showQuickPick(outline.concepts.map((c) => ({ label: c.name, description: c.category })), {
    title: title(4, 'choose concepts'), placeHolder: 'Type to search; check the concepts to probe', canPickMany: true, matchOnDescription: true,
  });
  return some?.length ? { concepts: some.map((s) => s.label) } : undefined;
}

export async function pickKind(outline: DatasetOutline): Promise<ProbeKind | undefined> {
  type Item = vscode.QuickPickItem & { probe: ProbeKind };
  const items: Item[] = [
    { label: 'Segmentation and classification', detail: 'Net2Vec set IoU of masks, and average precision of image labels (METHODS.md §5.5, §5.6)', probe: 'both' },
    { label: 'Segmentation', detail: 'Where in the image: the weighted filter combination against the concept\'s masks', probe: 'segmentation' },
    { label: 'Classification', detail: 'Whether the image contains the concept: pooled filter activations', probe: 'classification' },
  ];
  // Without masks only the classification probe can learn anything.
  const offered = outline.format === 'folders' && !outline.hasMasks ? items.filter((i) => i.probe === 'classification') : items;
  const picked = await vscode.window.showQuickPick(offered, { title: title(5, 'probes'), placeHolder: 'Which Net2Vec probes? (NetDissect single-filter IoU is always computed)' });
  return picked?.probe;
}
