// The quick picks of "Similarity Overlay with This Model…": the model (workspace models, the setting or demo model,
// or a file) and the layers (spatial layers with their output shapes, the default one preselected).
import * as vscode from 'vscode';
import type { ModelInfo } from '../../engine/model/modelTypes';
import { defaultSimilarityLayer, similarityLayerChoices } from '../../engine/similarity/similarityLayers';
import type { ModelChoice } from '../explain/modelChoices';

/** Several layers side by side are useful; more than this makes each too small to read. */
export const MAX_LAYERS = 4;

export async function pickSimilarityModel(choices: ModelChoice[]): Promise<ModelChoice | undefined> {
  type Item = vscode.QuickPickItem & { choice?: ModelChoice };
  const items: Item[] = choices.map((c, i) => ({
    label: c.name, detail: c.spec.path, choice: c,
    description: [c.description, i === 0 && choices.length > 1 ? 'last used' : ''].filter(Boolean).join(' · '),
  }));
  items.push({ label: '$(folder-opened) Browse for a model…', alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title: 'Similarity Overlay (1/2): model', placeHolder: 'Which model\'s internal representation should be compared?', matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.choice) return picked.choice;
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Models': ['json', 'onnx'] }, openLabel: 'Use this model' });
  const p = uris?.[0]?.fsPath;
  return p ? { key: p, name: p, spec: { path: p } } : undefined;
}

export async function pickSimilarityLayers(info: ModelInfo): Promise<string[] | undefined> {
  const layers = similarityLayerChoices(info);
  const dflt = defaultSimilarityLayer(info);
  type Item = vscode.QuickPickItem & { name: string };
  const items: Item[] = [...layers].reverse().map((l) => ({
    label: l.name, name: l.name, picked: l.name === dflt,
    description: `${l.outputShape[0]}×${l.outputShape[1]} cells · ${l.outputShape[2]} channels · ${l.type}${l.name === dflt ? ' · default' : ''}`,
  }));
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Similarity Overlay (2/2): layers';
  qp.placeholder = `Pick 1–${MAX_LAYERS} layers (deepest first; several are shown side by side)`;
  qp.canSelectMany = true;
  qp.matchOnDescription = true;
  qp.items = items;
  qp.selectedItems = items.filter((i) => i.picked);
  return await new Promise<string[] | undefined>((resolve) => {
    const title = qp.title;
    qp.onDidChangeSelection((sel) => { qp.title = sel.length > MAX_LAYERS ? `${title} — at most ${MAX_LAYERS}, ${sel.length} picked` : title; });
    qp.onDidAccept(() => {
      const sel = qp.selectedItems;
      if (!sel.length || sel.length > MAX_LAYERS) { qp.title = `${title} — pick 1–${MAX_LAYERS}`; return; }
      // Model order (shallow → deep), as they sit in the network.
      resolve(layers.filter((l) => sel.some((s) => s.name === l.name)).map((l) => l.name));
      qp.hide();
    });
    qp.onDidHide(() => { resolve(undefined); qp.dispose(); });
    qp.show();
  });
}
