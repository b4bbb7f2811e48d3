// Builds a manifest entry for a model file, asking only what the file cannot tell: the labels file when none lies
// next to the model, the pixel scaling (never stored in a model file), and the input size when the model leaves it
// dynamic. Format, name and a fixed input size are inferred.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Preprocessing } from '../../engine/model/modelTypes';
import type { ManifestEntry, ModelSourceLink } from './manifestTypes';
import { modelFileFormat, tfjsInputShape } from './modelFileSniffer';
import { labelsNextTo, type ModelRegistry, relativeTo } from './modelRegistry';
import { fileExists } from './fileExists';

export interface DraftOptions {
  folder: vscode.WorkspaceFolder;
  modelUri: vscode.Uri;
  /** Preferred name (a class or variable name, or the model's folder name); made unique in the manifest. */
  name: string;
  source?: ModelSourceLink;
  /** PyTorch models are usually ImageNet-normalised: that scaling is offered first for them. */
  framework?: 'pytorch' | 'keras' | 'tfjs';
}

interface ScalingItem extends vscode.QuickPickItem { value: Partial<Preprocessing> }

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
const SCALINGS: ScalingItem[] = [
  { label: 'Pixels scaled to [0, 1]', description: 'x / 255', value: { inputRange: [0, 1] } },
  { label: 'Pixels scaled to [-1, 1]', description: 'x / 127.5 − 1 (MobileNet, Inception)', value: { inputRange: [-1, 1] } },
  { label: 'ImageNet mean/std normalisation', description: '(x/255 − mean) / std (torchvision)', value: { mean: IMAGENET_MEAN, std: IMAGENET_STD } },
  { label: 'Raw pixels [0, 255]', description: 'no scaling', value: { inputRange: [0, 255] } },
  {
    label: 'Caffe style', description: 'BGR, 0–255 minus the ImageNet means (VGG, ResNet-50 in Keras)',
    // x − 255·mean per channel, written as (x/255 − mean)/std with std = 1/255.
    value: { channels: 'bgr', mean: [0.406, 0.456, 0.485], std: [1 / 255, 1 / 255, 1 / 255] },
  },
];

/** The entry to add for `opts.modelUri`, or undefined if the person cancelled a question. */
export async function draftManifestEntry(registry: ModelRegistry, opts: DraftOptions): Promise<ManifestEntry | undefined> {
  const file = opts.modelUri.fsPath;
  const entry: ManifestEntry = { name: uniqueName(registry, opts.folder, opts.name), path: relativeTo(opts.folder, opts.modelUri) };
  const format = await modelFileFormat(file);
  if (format) entry.format = format;

  const labels = await labelsNextTo(file);
  if (labels) entry.labels = relativeTo(opts.folder, vscode.Uri.file(labels));
  else {
    const picked = await askLabels(opts);
    if (picked === undefined) return undefined;
    if (picked) entry.labels = relativeTo(opts.folder, picked);
  }

  const scalings = opts.framework === 'pytorch' ? [SCALINGS[2], ...SCALINGS.filter((s) => s !== SCALINGS[2])] : SCALINGS;
  const scaling = await vscode.window.showQuickPick(scalings, {
    title: `${entry.name}: how are pixels scaled for this model?`,
    placeHolder: 'A model file does not record its input scaling; pick the one it was trained with',
    ignoreFocusOut: true,
  });
  if (!scaling) return undefined;
  const preprocessing: Partial<Preprocessing> = { ...scaling.value };

  const shape = format === 'tfjs-layers' || format === 'tfjs-graph' ? await tfjsInputShape(file) : undefined;
  if (!shape || shape[0] === null || shape[1] === null) {
    const size = await askInputSize(entry.name, await fileExists(file));
    if (size === undefined) return undefined;
    preprocessing.height = size[0];
    preprocessing.width = size[1];
  }
  entry.preprocessing = preprocessing;
  if (opts.source) entry.source = opts.source;
  return entry;
}

/** null: no labels file; undefined: cancelled. */
async function askLabels(opts: DraftOptions): Promise<vscode.Uri | null | undefined> {
  const none = { label: 'No labels file', description: 'classes are shown by number' };
  const choose = { label: 'Choose a labels file…', description: 'JSON array or {index: name}, or one name a line' };
  const picked = await vscode.window.showQuickPick([none, choose], {
    title: `${opts.name}: class names`, placeHolder: `No labels file next to ${path.basename(opts.modelUri.fsPath)}`, ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked === none) return null;
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false, defaultUri: vscode.Uri.file(path.dirname(opts.modelUri.fsPath)), openLabel: 'Use as Labels',
    filters: { 'Labels': ['json', 'txt'], 'All files': ['*'] },
  });
  return files?.[0] ?? undefined;
}

async function askInputSize(name: string, fileExists: boolean): Promise<[number, number] | undefined> {
  const value = await vscode.window.showInputBox({
    title: `${name}: input size`,
    prompt: fileExists ? 'The model does not fix its input size: height × width in pixels' : 'The model file does not exist yet: its input height × width in pixels',
    value: '224 × 224',
    ignoreFocusOut: true,
    validateInput: (v) => (parseSize(v) ? undefined : 'Give a size like 224 or 224 × 224 (1–4096).'),
  });
  return value === undefined ? undefined : parseSize(value);
}

export function parseSize(v: string): [number, number] | undefined {
  const m = /^\s*(\d+)\s*(?:[x×,]\s*(\d+))?\s*$/i.exec(v);
  if (!m) return undefined;
  const h = Number(m[1]);
  const w = Number(m[2] ?? m[1]);
  return h >= 1 && w >= 1 && h <= 4096 && w <= 4096 ? [h, w] : undefined;
}

function uniqueName(registry: ModelRegistry, folder: vscode.WorkspaceFolder, wanted: string): string {
  const taken = new Set(registry.manifestStates().filter((m) => m.folder.uri.toString() === folder.uri.toString())
    .flatMap((m) => m.models.map((x) => x.name)));
  if (!taken.has(wanted)) return wanted;
  for (let i = 2; ; i++) if (!taken.has(`${wanted} (${i})`)) return `${wanted} (${i})`;
}
