// The three quick picks of "Explain Image with This Model…": model, class (top-5 + "Other class…"), method
// (+ "Advanced…" for the method's parameters). Each returns undefined when the user backs out.
import * as vscode from 'vscode';
import type { ModelInfo } from '../../engine/model/modelTypes';
import type { Prediction } from '../../engine/worker/protocol';
import { formatParamValue, METHODS, methodInfo, parseParam, type MethodInfo, type MethodParam } from './methodCatalog';
import type { ModelChoice } from './modelChoices';

const BROWSE = 'browse';

export async function pickModel(choices: ModelChoice[]): Promise<ModelChoice | undefined> {
  type Item = vscode.QuickPickItem & { choice?: ModelChoice; browse?: true };
  const items: Item[] = choices.map((c, i) => ({
    label: c.name, description: c.description, detail: c.spec.path, choice: c,
    ...(i === 0 && choices.length > 1 ? { description: [c.description, 'last used'].filter(Boolean).join(' · ') } : {}),
  }));
  items.push({ label: '$(folder-opened) Browse for a model.json…', browse: true, alwaysShow: true, description: BROWSE });
  const picked = await vscode.window.showQuickPick(items, { title: 'Explain Image (1/3): model', placeHolder: 'Which model should explain the image?', matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.choice) return picked.choice;
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'TF.js model': ['json'] }, openLabel: 'Use this model' });
  const p = uris?.[0]?.fsPath;
  return p ? { key: p, name: p, spec: { path: p } } : undefined;
}

export const percent = (p: number) => `${(100 * p).toFixed(p >= 0.995 ? 0 : 1)} %`;

/** Top-5 classes with probabilities, then "Other class…" searching every label. */
export async function pickClass(predictions: Prediction[], allLabels: () => Promise<string[] | null>, numClasses: number): Promise<{ index: number; label: string } | undefined> {
  type Item = vscode.QuickPickItem & { index?: number; other?: true };
  const items: Item[] = predictions.map((p, i) => ({
    label: p.label, description: `${percent(p.probability)} · class ${p.index}${i === 0 ? ' · top prediction' : ''}`, index: p.index,
  }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(search) Other class…', other: true, alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title: 'Explain Image (2/3): class', placeHolder: 'Which class should the explanation be for?' });
  if (!picked) return undefined;
  if (picked.index !== undefined) return { index: picked.index, label: picked.label };
  const labels = (await allLabels()) ?? Array.from({ length: numClasses }, (_, i) => `class ${i}`);
  const probs = new Map(predictions.map((p) => [p.index, p.probability]));
  const all = labels.map((label, index) => ({ label, description: `class ${index}${probs.has(index) ? ` · ${percent(probs.get(index)!)}` : ''}`, index }));
  const other = await vscode.window.showQuickPick(all, { title: 'Explain Image (2/3): any class', placeHolder: 'Type to search the model\'s classes', matchOnDescription: true });
  return other ? { index: other.index, label: other.label } : undefined;
}

export interface MethodChoice { method: MethodInfo; settings: Record<string, unknown> }

/**
 * The methods the engine offers (default first); "Advanced…" opens the parameter editor starting from the default.
 * When the default is not in this build, the first available method takes its place.
 */
export async function pickMethod(preferred: string, available: readonly string[], defaultsFor: (m: string) => Record<string, unknown>, model: ModelInfo): Promise<MethodChoice | undefined> {
  type Item = vscode.QuickPickItem & { method?: MethodInfo; advanced?: true };
  const offered = METHODS.filter((m) => available.includes(m.name));
  if (!offered.length) throw new Error('The engine offers no attribution method.');
  const defaultName = offered.some((m) => m.name === preferred) ? preferred : offered[0].name;
  const ordered = [...offered].sort((a, b) => Number(b.name === defaultName) - Number(a.name === defaultName));
  const items: Item[] = ordered.map((m) => ({ label: m.label, description: m.name === defaultName ? 'default' : m.name, detail: m.detail, method: m }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(settings-gear) Advanced…', detail: 'Choose the method and set its parameters', advanced: true, alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title: 'Explain Image (3/3): method', placeHolder: 'How should the image be explained?' });
  if (!picked) return undefined;
  if (picked.method) return { method: picked.method, settings: defaultsFor(picked.method.name) };
  return editParameters(methodInfo(defaultName)!, offered, defaultsFor, model);
}

/** Spatial layers a layer-based method can use (4-D outputs larger than 1×1). */
export function spatialLayers(model: ModelInfo): string[] {
  return model.layers.filter((l) => l.outputShape.length === 3 && l.outputShape[0] > 1 && l.outputShape[1] > 1).map((l) => l.name);
}

async function editParameters(start: MethodInfo, offered: readonly MethodInfo[], defaultsFor: (m: string) => Record<string, unknown>, model: ModelInfo): Promise<MethodChoice | undefined> {
  let method = start;
  let settings = defaultsFor(method.name);
  for (;;) {
    type Item = vscode.QuickPickItem & { action: 'run' | 'method' | 'param'; param?: MethodParam };
    const items: Item[] = [
      { label: `$(play) Explain with ${method.label}`, action: 'run', alwaysShow: true },
      { label: `Method: ${method.label}`, description: 'change', action: 'method' },
      { label: '', kind: vscode.QuickPickItemKind.Separator, action: 'param' },
      ...method.params.map((p): Item => ({
        label: `${p.key} = ${p.key in settings ? formatParamValue(settings[p.key]) : `${p.defaultText} (default)`}`,
        detail: p.description, action: 'param', param: p,
      })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Explain Image: ${method.label} parameters`, placeHolder: 'Pick a parameter to change it, or run' });
    if (!picked) return undefined;
    if (picked.action === 'run') return { method, settings };
    if (picked.action === 'method') {
      const m = await vscode.window.showQuickPick(offered.map((x) => ({ label: x.label, description: x.name, detail: x.detail, m: x })), { title: 'Explain Image: method' });
      if (m && m.m !== method) { method = m.m; settings = defaultsFor(method.name); }
      continue;
    }
    const p = picked.param!;
    let value: unknown;
    if (p.type === 'enum' || p.type === 'layer' || p.type === 'boolean') {
      const options = p.type === 'enum' ? [...(p.options ?? [])] : p.type === 'boolean' ? ['true', 'false'] : spatialLayers(model);
      const o = await vscode.window.showQuickPick(['(default)', ...options], { title: `${p.key}: ${p.description}` });
      if (o === undefined) continue;
      value = o === '(default)' ? undefined : p.type === 'boolean' ? o === 'true' : o;
    } else {
      const text = await vscode.window.showInputBox({
        title: `${p.key}: ${p.description}`, prompt: `Default: ${p.defaultText}. Leave empty for the default.`,
        value: p.key in settings ? formatParamValue(settings[p.key]) : '',
        validateInput: (t) => (t.trim() === '' ? undefined : (() => { const r = parseParam(p, t); return 'error' in r ? r.error : undefined; })()),
      });
      if (text === undefined) continue;
      const r = text.trim() === '' ? { value: undefined } : parseParam(p, text);
      value = 'value' in r ? r.value : undefined;
    }
    settings = { ...settings };
    if (value === undefined) delete settings[p.key];
    else settings[p.key] = value;
  }
}
