// The Similarity panel (issue #6): one model, its chosen layers and a set of images. The extension asks the engine
// worker for the images' normalised cell vectors once, keeps them, and sends them to the webview as typed arrays;
// every hover is then computed in the webview. The webview persists only the model, layers, image paths and view
// (setState); after a window reload the serializer restores the panel and the activations are recomputed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SimilarityResult } from '../../engine/similarity/similarityTypes';
import type { ModelSpec } from '../../engine/worker/protocol';
import {
  SIMILARITY_VIEW_TYPE, SimilarityProtocolError, validateFromSimilarityPanel, validateSimilarityState,
  type FromSimilarityPanel, type LayerMeta, type ModelRef, type PanelImage, type ToSimilarityPanel,
} from '../../webview/similarityPanelProtocol';
import type { EngineClient } from '../engineClient';
import { panelHtml } from '../explain/panelHtml';
import { isExplainableImage } from '../explain/imageFormats';
import { describeError, isCancellation, type Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';

export interface SimilarityPanelDeps {
  extensionUri: vscode.Uri;
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
}

/** What the command resolves with (tests, other extensions): the session as the panel shows it. */
export interface SimilaritySession {
  model: string;
  layers: LayerMeta[];
  images: string[];
  elapsedMs: number;
  backend: string;
}

let counter = 0;
const newId = () => `i${Date.now().toString(36)}${(counter++).toString(36)}`;

export class SimilarityPanel implements vscode.Disposable {
  private static readonly open = new Set<SimilarityPanel>();
  private images: PanelImage[] = [];
  private layerMeta: LayerMeta[] = [];
  private ready = false;
  private running: vscode.CancellationTokenSource | null = null;
  private last = { elapsedMs: 0, backend: '' };
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages the webview sent malformed (tests read it). */
  rejectedMessages = 0;

  static create(deps: SimilarityPanelDeps, model: ModelRef, layers: string[]): SimilarityPanel {
    const panel = vscode.window.createWebviewPanel(SIMILARITY_VIEW_TYPE, SimilarityPanel.title(model),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, SimilarityPanel.options(deps.extensionUri));
    return new SimilarityPanel(panel, deps, model, layers);
  }

  /** Re-creates a panel after a window reload from its webview's saved state, and recomputes its activations. */
  static restore(panel: vscode.WebviewPanel, state: unknown, deps: SimilarityPanelDeps): SimilarityPanel | undefined {
    const s = validateSimilarityState(state);
    if (!s) { panel.dispose(); return undefined; }
    panel.webview.options = SimilarityPanel.options(deps.extensionUri);
    const p = new SimilarityPanel(panel, deps, s.model, s.layers);
    const paths = s.imagePaths.filter((f) => fs.existsSync(f));
    if (paths.length) void p.compute(paths, false).catch((e) => deps.notifier.error('Restoring the similarity overlays', e));
    return p;
  }

  static all(): SimilarityPanel[] {
    return [...SimilarityPanel.open];
  }

  private static title(model: ModelRef) {
    return `Similarity: ${model.name}`;
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Images arrive as pixels in messages, so the webview reads nothing from disk but its own script.
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: SimilarityPanelDeps, readonly model: ModelRef, private layers: string[]) {
    SimilarityPanel.open.add(this);
    const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview', 'similarityPanel.main.js'));
    panel.webview.html = panelHtml(panel.webview, script, SimilarityPanel.title(model));
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      // A hidden webview is destroyed (no retainContextWhenHidden); it says "ready" again when shown.
      panel.onDidChangeViewState(() => { if (!panel.visible) this.ready = false; }),
    );
  }

  get imagePaths(): string[] { return this.images.map((i) => i.path); }
  get layerNames(): string[] { return this.layers; }

  session(): SimilaritySession {
    return { model: this.model.name, layers: this.layerMeta, images: this.imagePaths, ...this.last };
  }

  /**
   * Computes the activations of `paths` (all of them, or only new ones when `append`) in the engine worker, behind a
   * cancellable notification, and sends them to the webview.
   */
  async compute(paths: string[], append: boolean): Promise<SimilaritySession | undefined> {
    const fresh = append ? paths.filter((p) => !this.images.some((i) => i.path === p)) : paths;
    if (!fresh.length) { this.post({ type: 'notice', message: 'Those images are already in the panel.' }); return this.session(); }
    this.running?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    const what = `activations of ${fresh.length} image${fresh.length > 1 ? 's' : ''} at ${this.layers.join(', ')}`;
    this.post({ type: 'busy', message: `Computing the ${what}…`, step: 0, total: fresh.length });
    try {
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `CNN Lens: similarity — ${this.model.name}`, cancellable: true },
        (progress, token) => {
          const sub = token.onCancellationRequested(() => cts.cancel());
          let done = 0;
          return this.deps.engineClient.request(
            { type: 'similarity', model: this.model.spec as ModelSpec, images: fresh.map((p) => ({ kind: 'file' as const, path: p })), layers: this.layers },
            {
              token: cts.token,
              onProgress: (p) => {
                const pct = p.total ? (100 * p.step) / p.total : 0;
                progress.report({ message: p.message, increment: Math.max(0, pct - done) });
                done = Math.max(done, pct);
                this.post({ type: 'busy', message: p.message ?? `${p.step}/${p.total}`, step: p.step, total: p.total });
              },
            }).finally(() => sub.dispose());
        });
      this.accept(r, append);
      this.deps.out.info(`Similarity: ${what} in ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.backend}.`);
      return this.session();
    } catch (e) {
      this.post({ type: 'failed', message: isCancellation(e) || cts.token.isCancellationRequested ? 'Cancelled.' : describeError(e) });
      throw e;
    } finally {
      if (this.running === cts) this.running = null;
      cts.dispose();
    }
  }

  private accept(r: SimilarityResult, append: boolean) {
    const meta: LayerMeta[] = r.layers.map((l) => ({ name: l.name, rows: l.rows, cols: l.cols, channels: l.channels, nonNegative: l.nonNegative }));
    const fresh: PanelImage[] = r.images.map((im, b) => ({
      id: newId(), name: path.basename(im.path), path: im.path, width: im.width, height: im.height,
      // Plain typed arrays (views of the worker's buffers): VS Code transfers them as binary.
      rgb: new Uint8Array(im.rgb.buffer, im.rgb.byteOffset, im.rgb.byteLength),
      vectors: r.layers.map((l) => { const n = l.rows * l.cols * l.channels; return l.vectors.subarray(b * n, (b + 1) * n); }),
    }));
    if (append) {
      // Layers agree (same names, same model): a layer that turned ReLU-free with the new images becomes signed.
      this.layerMeta = this.layerMeta.map((l, k) => ({ ...l, nonNegative: l.nonNegative && meta[k].nonNegative }));
      this.images.push(...fresh);
    } else {
      this.layerMeta = meta;
      this.layers = meta.map((l) => l.name);
      this.images = fresh;
    }
    this.last = { elapsedMs: r.elapsedMs, backend: r.backend };
    this.post({ type: 'load', model: this.model, layers: this.layerMeta, images: append ? fresh : this.images, append, ...this.last });
  }

  dispose(): void {
    SimilarityPanel.open.delete(this);
    this.running?.cancel();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }

  private post(m: ToSimilarityPanel) {
    // Before "ready" the page cannot listen yet; it gets everything in the sync that follows "ready".
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private async receive(raw: unknown) {
    let m: FromSimilarityPanel;
    try {
      m = validateFromSimilarityPanel(raw);
    } catch (e) {
      this.rejectedMessages++;
      this.deps.out.warn(`Similarity panel: ${e instanceof SimilarityProtocolError ? e.message : String(e)}`);
      return;
    }
    try {
      await this.handle(m);
    } catch (e) {
      this.deps.notifier.error('The Similarity panel action', e);
    }
  }

  private async handle(m: FromSimilarityPanel) {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.images.length) this.post({ type: 'load', model: this.model, layers: this.layerMeta, images: this.images, append: false, ...this.last });
        else if (this.running) this.post({ type: 'busy', message: 'Computing activations…', step: 0, total: 1 });
        return;
      case 'cancel': this.running?.cancel(); return;
      case 'remove': this.images = this.images.filter((i) => i.id !== m.id); return;
      case 'addImages': {
        const uris = await vscode.window.showOpenDialog({
          canSelectMany: true, openLabel: 'Add to the similarity overlay',
          filters: { Images: ['png', 'jpg', 'jpeg', 'jpe', 'jfif', 'webp', 'gif', 'tif', 'tiff', 'avif', 'svg'] },
        });
        if (uris?.length) await this.compute(uris.map((u) => u.fsPath), true);
        return;
      }
      case 'dropUris': {
        const paths = m.uris.flatMap((s) => { try { const u = vscode.Uri.parse(s, true); return u.scheme === 'file' || u.scheme === 'vscode-remote' ? [u.scheme === 'file' ? u.fsPath : u.path] : []; } catch { return []; } });
        const images = paths.filter((p) => isExplainableImage(p) && fs.existsSync(p));
        if (!images.length) { this.post({ type: 'notice', message: 'None of the dropped files is an image CNN Lens can read (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG).' }); return; }
        await this.compute(images, true);
        return;
      }
      case 'exportPng': {
        const first = this.images[0]?.path;
        const uri = await vscode.window.showSaveDialog({
          defaultUri: vscode.Uri.file(path.join(first ? path.dirname(first) : os.homedir(), `similarity-${this.layers.join('+').replace(/[^\w.+-]+/g, '_')}.png`)),
          filters: { PNG: ['png'] },
        });
        if (!uri) return;
        await fs.promises.writeFile(uri.fsPath, Buffer.from(m.png, 'base64'));
        this.post({ type: 'notice', message: `Saved ${path.basename(uri.fsPath)}.` });
        this.deps.out.info(`Similarity panel: wrote ${uri.fsPath}`);
        return;
      }
    }
  }
}
