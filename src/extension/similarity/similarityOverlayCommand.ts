// Command cnnLens.similarityOverlay ("Similarity Overlay with This Model…", issue #6): images → model → layers, then
// the activations in the engine worker (cancellable progress) and the Similarity panel. Arguments: the explorer's
// (clicked Uri, selected Uris) for one or several images; or { modelId?, modelPath?, imageUris?, layers? } from the
// CodeLens, the Models view, tests and other extensions. Anything given skips its picker. Resolves with the session
// shown (or undefined when the user backed out).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { EngineClient } from '../engineClient';
import { isExplainableImage } from '../explain/imageFormats';
import { modelChoices, modelFromArgs, rememberModel, type ExplainModelSource, type ModelChoice } from '../explain/modelChoices';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { MAX_LAYERS, pickSimilarityLayers, pickSimilarityModel } from './similarityPickers';
import { SimilarityPanel, type SimilaritySession } from './similarityPanel';

export interface SimilarityOverlayArgs {
  modelId?: string;
  modelPath?: string;
  imageUris?: (vscode.Uri | string)[];
  layers?: string[];
}

export interface SimilarityDeps {
  extensionUri: vscode.Uri;
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
  memento: vscode.Memento;
  /** The workspace model registry, when the extension provides it: its models head the model pick. */
  models?: ExplainModelSource;
}

const IMAGE_FILTER = { Images: ['png', 'jpg', 'jpeg', 'jpe', 'jfif', 'webp', 'gif', 'tif', 'tiff', 'avif', 'svg'] };

function asArgs(arg: unknown, selected: unknown): SimilarityOverlayArgs {
  if (arg instanceof vscode.Uri) {
    const many = Array.isArray(selected) && selected.every((u) => u instanceof vscode.Uri) && selected.length ? (selected as vscode.Uri[]) : [arg];
    return { imageUris: many };
  }
  if (typeof arg === 'object' && arg !== null) return arg as SimilarityOverlayArgs;
  return {};
}

/** The images: from the arguments, the active image preview, or a file dialog (several allowed). */
async function resolveImages(args: SimilarityOverlayArgs): Promise<string[] | undefined> {
  let uris = args.imageUris?.map((u) => (typeof u === 'string' ? vscode.Uri.file(u) : u));
  if (!uris?.length) {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && isExplainableImage(input.uri.fsPath)) uris = [input.uri];
  }
  if (!uris?.length) uris = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Compare these images', filters: IMAGE_FILTER });
  if (!uris?.length) return undefined;
  const bad = uris.find((u) => u.scheme !== 'file' || !isExplainableImage(u.fsPath));
  if (bad) throw new EngineError('IMAGE_UNREADABLE', `${path.basename(bad.fsPath)} is not an image file CNN Lens decodes (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG).`);
  return [...new Set(uris.map((u) => u.fsPath))];
}

/** The model from { modelId, modelPath } (the registry, when there is one, knows ids), else undefined. */
function modelOf(args: SimilarityOverlayArgs, registry?: ExplainModelSource): ModelChoice | undefined {
  if (args.modelId !== undefined && !registry && args.modelPath !== undefined) return modelFromArgs({ modelPath: args.modelPath });
  return modelFromArgs(args, registry);
}

export async function similarityOverlay(arg: unknown, selected: unknown, deps: SimilarityDeps): Promise<SimilaritySession | undefined> {
  const args = asArgs(arg, selected);
  if (args.layers !== undefined && (!Array.isArray(args.layers) || !args.layers.length || args.layers.length > MAX_LAYERS || args.layers.some((l) => typeof l !== 'string')))
    throw new EngineError('BAD_ARGUMENT', `layers must be 1–${MAX_LAYERS} layer names.`);
  const images = await resolveImages(args);
  if (!images) return undefined;
  const model = modelOf(args, deps.models) ?? await pickSimilarityModel(await modelChoices(deps.extensionUri.fsPath, deps.memento, deps.models));
  if (!model) return undefined;
  await rememberModel(deps.memento, model, deps.models);
  let layers = args.layers;
  if (!layers) {
    const { model: info } = await deps.engineClient.withProgress(`Loading ${model.name}`, { type: 'loadModel', model: model.spec });
    layers = await pickSimilarityLayers(info);
    if (!layers) return undefined;
  }
  const panel = SimilarityPanel.create(deps, { name: model.name, spec: model.spec }, layers);
  return await panel.compute(images, false);
}
