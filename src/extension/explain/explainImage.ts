// Command cnnLens.explainImage ("Explain Image with This Model…"): image → model → class → method, then the run in
// the engine worker behind a cancellable progress notification, streamed live into the image's Explain panel.
// Arguments: a vscode.Uri (explorer / image preview menus) or { modelId?, modelPath?, imageUri?, target?, method?,
// settings? } (CodeLens, tests, other extensions); anything given skips its picker. Resolves with the explanation
// (or undefined when the user backed out).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { ModelInfo } from '../../engine/model/modelTypes';
import type { ExplainResult, ImageSource, Prediction } from '../../engine/worker/protocol';
import type { ExplanationEntry } from '../../webview/explainPanelProtocol';
import type { EngineClient } from '../engineClient';
import { isCancellation, type Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { backendSetting } from '../settings';
import { cliCommand, defaultOutDir } from './cliCommand';
import { encodeBytes, encodeMap, progressUpdate } from './entryCodec';
import { ExplainPanel, type PanelDeps } from './explainPanel';
import { defaultMethod, methodDefaults } from './explainSettings';
import { pickClass, pickMethod, pickModel } from './explainPickers';
import { browserMimeType, isExplainableImage } from './imageFormats';
import { methodInfo } from './methodCatalog';
import { modelChoices, modelFromArgs, rememberModel, type ExplainModelSource, type ModelChoice } from './modelChoices';

export interface ExplainImageArgs {
  modelId?: string;
  modelPath?: string;
  imageUri?: vscode.Uri | string;
  target?: number;
  method?: string;
  settings?: Record<string, unknown>;
}

export interface ExplainDeps {
  extensionUri: vscode.Uri;
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
  memento: vscode.Memento;
  models?: ExplainModelSource;
}

/** Pictures up to this size are shown under the live mask (sent inline: the panel reads no files itself). */
const PREVIEW_MAX_BYTES = 8 << 20;

/** The source picture as a data: URL for the live preview, when the browser can show it and it is not huge. */
async function previewDataUrl(imagePath: string): Promise<string | undefined> {
  const mime = browserMimeType(imagePath);
  if (!mime) return undefined;
  try {
    const st = await fs.promises.stat(imagePath);
    if (st.size > PREVIEW_MAX_BYTES) return undefined;
    return `data:${mime};base64,${(await fs.promises.readFile(imagePath)).toString('base64')}`;
  } catch {
    return undefined; // the engine reports unreadable files properly
  }
}

/** Live masks are forwarded at most this often: enough to watch the optimisation, cheap for the extension host. */
const LIVE_MAP_INTERVAL_MS = 150;

function asArgs(arg: unknown): ExplainImageArgs {
  if (arg instanceof vscode.Uri) return { imageUri: arg };
  if (typeof arg === 'object' && arg !== null) return arg as ExplainImageArgs;
  return {};
}

/** The image: from the arguments, the active image preview, or a file dialog. */
async function resolveImage(args: ExplainImageArgs): Promise<string | undefined> {
  let uri: vscode.Uri | undefined = typeof args.imageUri === 'string' ? vscode.Uri.file(args.imageUri) : args.imageUri;
  if (!uri) {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && isExplainableImage(input.uri.fsPath)) uri = input.uri;
  }
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false, openLabel: 'Explain this image',
      filters: { Images: ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif', 'svg'] },
    });
    uri = picked?.[0];
  }
  if (!uri) return undefined;
  if (uri.scheme !== 'file') throw new EngineError('IMAGE_UNREADABLE', `CNN Lens reads images from disk; ${uri.toString()} is not a file.`);
  if (!isExplainableImage(uri.fsPath)) throw new EngineError('IMAGE_UNREADABLE', `${path.basename(uri.fsPath)} is not an image format CNN Lens decodes (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG).`);
  return uri.fsPath;
}

export async function explainImage(arg: unknown, deps: ExplainDeps, panelDeps: PanelDeps): Promise<ExplanationEntry | undefined> {
  const args = asArgs(arg);
  const { engineClient } = deps;
  const imagePath = await resolveImage(args);
  if (!imagePath) return undefined;
  const image: ImageSource = { kind: 'file', path: imagePath };

  const model: ModelChoice | undefined = modelFromArgs(args, deps.models) ?? await pickModel(await modelChoices(deps.extensionUri.fsPath, deps.memento, deps.models));
  if (!model) return undefined;
  await rememberModel(deps.memento, model, deps.models);

  let predictions: Prediction[] = [];
  let info: ModelInfo;
  let target = args.target;
  if (target === undefined || args.method === undefined) {
    const r = await engineClient.withProgress(`Classifying ${path.basename(imagePath)} with ${model.name}`, { type: 'predict', model: model.spec, image, top: 5 });
    predictions = r.predictions;
    info = r.model;
  } else {
    info = (await engineClient.withProgress(`Loading ${model.name}`, { type: 'loadModel', model: model.spec })).model;
  }
  let targetLabel: string | undefined;
  if (target === undefined) {
    const cls = await pickClass(predictions, async () => (await engineClient.request({ type: 'loadModel', model: model.spec })).labels, info.numClasses);
    if (!cls) return undefined;
    target = cls.index;
    targetLabel = cls.label;
  }

  let method = args.method;
  let settings = args.settings ?? (method ? methodDefaults(method) : {});
  if (method === undefined) {
    const { names } = await engineClient.request({ type: 'methods' });
    const m = await pickMethod(defaultMethod(), names, methodDefaults, info);
    if (!m) return undefined;
    method = m.method.name;
    settings = m.settings;
  }
  const live = methodInfo(method)?.live ?? false;

  const panel = ExplainPanel.forImage(imagePath, panelDeps);
  const title = `${methodInfo(method)?.label ?? method} of ${path.basename(imagePath)}`;
  return await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `CNN Lens: ${title}`, cancellable: true },
    async (progress, token) => {
      const run = panel.start({
        imageName: path.basename(imagePath), modelName: model.name, method: method!,
        targetLabel: targetLabel ?? predictions.find((p) => p.index === target)?.label ?? `class ${target}`,
      }, await previewDataUrl(imagePath), token);
      let done = 0;
      let lastMaps = 0;
      const t0 = Date.now();
      try {
        const r: ExplainResult = await engineClient.request(
          { type: 'explain', model: model.spec, image, method: method as ExplainResult['method'], target, settings },
          {
            token: run.token,
            onProgress: (p) => {
              const pct = p.total > 0 ? Math.min(100, (100 * (p.step + 1)) / p.total) : done;
              progress.report({ message: `${p.step + 1}/${p.total}`, increment: Math.max(0, pct - done) });
              done = Math.max(done, pct);
              const now = Date.now();
              const withMaps = live && !!p.maps?.length && now - lastMaps >= LIVE_MAP_INTERVAL_MS;
              if (withMaps) lastMaps = now;
              run.progress(progressUpdate('', p, withMaps));
            },
          });
        deps.out.info(`Explained ${imagePath} with ${r.method} for class ${r.target} (${r.targetLabel}) in ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.backend}.`);
        const cli = cliCommand({
          cliPath: path.join(deps.extensionUri.fsPath, 'dist', 'cli.js'), model: model.spec, imagePath, method: r.method,
          target: r.target, settings, backend: backendSetting(), outDir: defaultOutDir(imagePath, r.method),
        });
        return run.finish({
          imageName: path.basename(imagePath), imagePath, modelName: model.name, modelPath: model.spec.path,
          method: r.method, target: r.target, targetLabel: r.targetLabel,
          predictions: predictions.length ? predictions : [], settings: r.settings, scores: r.scores,
          elapsedMs: r.elapsedMs || Date.now() - t0, backend: r.backend,
          image: { width: r.image.width, height: r.image.height, rgb: encodeBytes(r.image.rgb) },
          maps: r.maps.map(encodeMap), cli: cli.command,
        });
      } catch (e) {
        const cancelled = isCancellation(e) || run.token.isCancellationRequested;
        run.fail(cancelled ? 'Cancelled.' : e instanceof Error ? e.message : String(e), cancelled);
        throw e;
      }
    });
}
