// The Concepts panel (issue #5): one probe run — model, layer, dataset — as a sortable, filterable table of concepts
// with a detail view. The extension runs the probe in the engine worker (cancellable, progress shown in the panel
// and in a notification), keeps the full result (memory, and the global storage for exports after a reload) and sends
// the webview the trimmed report; the webview persists report and view with setState, so the serializer restores the
// panel after a window reload without re-probing (no retainContextWhenHidden). Validation pictures are read on
// request, only from inside the probed dataset.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetSpec, ProbeResult, ProbeSettingsInput } from '../../engine/probing/probeTypes';
import type { ModelSpec } from '../../engine/worker/protocol';
import { probeCsv } from '../../cli/probeCommand';
import {
  CONCEPTS_VIEW_TYPE, ConceptsProtocolError, validateConceptsState, validateFromConcepts, validateReport,
  type ConceptsReport, type ExampleImage, type FromConceptsPanel, type ToConceptsPanel,
} from '../../webview/conceptsPanelProtocol';
import type { EngineClient } from '../engineClient';
import { browserMimeType } from '../explain/imageFormats';
import { panelHtml } from '../explain/panelHtml';
import { describeError, isCancellation, type Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { conceptsReport } from './conceptsReport';
import type { ProbeResultStore } from './probeResultStore';

export interface ConceptsPanelDeps {
  extensionUri: vscode.Uri;
  engineClient: EngineClient;
  out: CnnLensOutput;
  notifier: Notifier;
  results: ProbeResultStore;
}

export interface ProbeRun { modelName: string; model: ModelSpec; dataset: DatasetSpec; settings: ProbeSettingsInput }

/** What the panel last told the extension it drew (the integration tests read it). */
export interface RenderedTable { reportId: string; rows: number; kind: string }

/** Pictures larger than this are not sent to the panel (Broden's are a few kB). */
const MAX_IMAGE_BYTES = 4 << 20;

let counter = 0;
const newId = () => `p${Date.now().toString(36)}${(counter++).toString(36)}`;

export class ConceptsPanel implements vscode.Disposable {
  private static readonly open = new Set<ConceptsPanel>();
  private report: ConceptsReport | undefined;
  private result: ProbeResult | undefined;
  private ready = false;
  private running: vscode.CancellationTokenSource | null = null;
  /** Re-sent when the webview (re)loads mid-run or after a failure. */
  private lastStatus: ToConceptsPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages the webview sent malformed (tests read it). */
  rejectedMessages = 0;
  rendered: RenderedTable | undefined;

  static create(deps: ConceptsPanelDeps, title: string): ConceptsPanel {
    const panel = vscode.window.createWebviewPanel(CONCEPTS_VIEW_TYPE, title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, ConceptsPanel.options(deps.extensionUri));
    return new ConceptsPanel(panel, deps, undefined);
  }

  /** Re-creates a panel after a window reload from the report its webview saved. */
  static restore(panel: vscode.WebviewPanel, state: unknown, deps: ConceptsPanelDeps): ConceptsPanel | undefined {
    const s = validateConceptsState(state);
    // No finished probe (it was still running, or an older state format): an empty panel would only confuse.
    if (!s) { panel.dispose(); return undefined; }
    panel.webview.options = ConceptsPanel.options(deps.extensionUri);
    return new ConceptsPanel(panel, deps, s.report);
  }

  /** Shows a finished result without probing (the merged probe.json of a Slurm job, issue #9). */
  static showResult(deps: ConceptsPanelDeps, modelName: string, result: ProbeResult): ConceptsPanel {
    const p = ConceptsPanel.create(deps, ConceptsPanel.title(modelName, result.layer));
    p.show(result, modelName);
    return p;
  }

  static all(): ConceptsPanel[] {
    return [...ConceptsPanel.open];
  }

  static title(modelName: string, layer: string): string {
    return `Concepts: ${modelName} · ${layer}`;
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Only the front end's own files: pictures arrive inside messages, so no dataset folder is exposed.
    return { enableScripts: true, enableFindWidget: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: ConceptsPanelDeps, report: ConceptsReport | undefined) {
    this.report = report;
    ConceptsPanel.open.add(this);
    const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview', 'conceptsPanel.main.js'));
    panel.webview.html = panelHtml(panel.webview, script, panel.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      // A hidden webview is destroyed (no retainContextWhenHidden); it says "ready" again when shown.
      panel.onDidChangeViewState(() => { if (!panel.visible) this.ready = false; }),
    );
  }

  get currentReport(): ConceptsReport | undefined { return this.report; }
  get isRunning(): boolean { return this.running !== null; }
  /** The last run's failure as the panel shows it (cancelled, or the error), if it failed. */
  get failure(): { message: string; cancelled: boolean } | undefined {
    const s = this.lastStatus;
    return s?.type === 'failed' ? { message: s.message, cancelled: s.cancelled } : undefined;
  }

  /** What the panel's Cancel button does (also the notification's): stops the running probe, if any. */
  cancel(): void { this.running?.cancel(); }

  /** Runs the probe behind a cancellable notification, mirrored in the panel, and shows the result. */
  async run(r: ProbeRun): Promise<ConceptsReport> {
    this.running?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    const what = `${r.modelName} · ${r.settings.layer} on ${path.basename(r.dataset.path)}`;
    this.status({ type: 'busy', title: `Probing ${what}`, message: 'Starting the engine…', step: 0, total: 1 });
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `CNN Lens: probing concepts — ${what}`, cancellable: true },
        (progress, token) => {
          const sub = token.onCancellationRequested(() => cts.cancel());
          let done = 0;
          let lastPost = 0;
          return this.deps.engineClient.request({ type: 'probe', model: r.model, dataset: r.dataset, settings: r.settings }, {
            token: cts.token,
            onProgress: (p) => {
              const pct = p.total ? Math.min(100, (100 * p.step) / p.total) : 0;
              progress.report({ message: p.message, increment: Math.max(0, pct - done) });
              done = Math.max(done, pct);
              // The dissection pass reports every image: a few updates a second are plenty for the panel.
              const now = Date.now();
              if (now - lastPost < 200 && p.step < p.total) return;
              lastPost = now;
              this.status({ type: 'busy', title: `Probing ${what}`, message: p.message ?? `${p.step}/${p.total}`, step: p.step, total: p.total });
            },
          }).finally(() => sub.dispose());
        });
      const report = this.show(result, r.modelName);
      this.deps.out.info(`Probed ${what}: ${result.concepts.length} concepts, ${report.detectors} detector filters, ` +
        `${(result.elapsedMs / 1000).toFixed(1)} s on ${result.backend}; activations ${result.activations.cached ? 'read from' : 'cached in'} ${result.activations.cacheFile}.`);
      return report;
    } catch (e) {
      const cancelled = isCancellation(e) || cts.token.isCancellationRequested;
      this.status({ type: 'failed', message: cancelled ? 'Cancelled.' : describeError(e), cancelled });
      throw e;
    } finally {
      if (this.running === cts) this.running = null;
      cts.dispose();
    }
  }

  /** Shows a finished probe result (this window's run, or a probe.json written by the CLI or a Slurm job). */
  show(result: ProbeResult, modelName: string): ConceptsReport {
    const id = newId();
    const report = conceptsReport(id, modelName, result);
    validateReport(JSON.parse(JSON.stringify(report))); // what the webview will check on arrival
    this.result = result;
    this.report = report;
    this.lastStatus = undefined;
    this.post({ type: 'report', report });
    void this.deps.results.save(id, result).catch((e) => this.deps.out.warn(`Could not save the probe result: ${describeError(e)}`));
    return report;
  }

  dispose(): void {
    ConceptsPanel.open.delete(this);
    this.running?.cancel();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }

  private status(m: ToConceptsPanel) {
    this.lastStatus = m;
    this.post(m);
  }

  private post(m: ToConceptsPanel) {
    // Before "ready" the page cannot listen yet; it gets everything in the sync that follows "ready".
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private sync() {
    if (this.report && !this.running) this.post({ type: 'report', report: this.report });
    if (this.lastStatus) this.post(this.lastStatus);
  }

  private async receive(raw: unknown) {
    let m: FromConceptsPanel;
    try {
      m = validateFromConcepts(raw);
    } catch (e) {
      this.rejectedMessages++;
      this.deps.out.warn(`Concepts panel: ${e instanceof ConceptsProtocolError ? e.message : String(e)}`);
      return;
    }
    try {
      await this.handle(m);
    } catch (e) {
      this.deps.notifier.error('The Concepts panel action', e);
    }
  }

  private async handle(m: FromConceptsPanel) {
    switch (m.type) {
      case 'ready': this.ready = true; this.sync(); return;
      case 'cancel': this.cancel(); return;
      case 'rendered': this.rendered = { reportId: m.reportId, rows: m.rows, kind: m.kind }; return;
      case 'requestImages': {
        if (!this.report || m.reportId !== this.report.id) return;
        this.post({ type: 'images', reportId: m.reportId, concept: m.concept, images: await this.exampleImages(m.concept) });
        return;
      }
      case 'exportCsv': case 'exportJson': {
        const r = this.report;
        if (!r) return;
        const full = this.result ?? await this.deps.results.load(r.id);
        const json = m.type === 'exportJson';
        // After a reload without the saved result, the panel's report still has every CSV column (and most of the JSON).
        const data = json ? JSON.stringify(full ?? r, null, 1) : probeCsv(full ?? (r as unknown as ProbeResult));
        const stem = `probe-${r.modelName}-${r.layer}`.replace(/[^\w.+-]+/g, '_');
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(r.datasetPath);
        const uri = await vscode.window.showSaveDialog({
          defaultUri: vscode.Uri.file(path.join(folder, `${stem}.${json ? 'json' : 'csv'}`)), filters: json ? { JSON: ['json'] } : { CSV: ['csv'] },
        });
        if (!uri) return;
        await fs.promises.writeFile(uri.fsPath, data);
        this.post({ type: 'notice', message: `Saved ${path.basename(uri.fsPath)}${full ? '' : ' (from the panel\'s table: the full result is no longer stored)'}.` });
        this.deps.out.info(`Concepts panel: wrote ${uri.fsPath}`);
        return;
      }
    }
  }

  /** The concept's validation pictures as data: URLs, read only from inside the probed dataset. */
  private async exampleImages(concept: string): Promise<ExampleImage[]> {
    const r = this.report!;
    const row = r.concepts.find((c) => c.concept === concept);
    const root = path.resolve(r.datasetPath) + path.sep;
    return Promise.all((row?.segmentation?.examples ?? []).map(async (e): Promise<ExampleImage> => {
      const file = path.resolve(e.file);
      const mime = browserMimeType(file);
      if (!file.startsWith(root) || !mime) return { image: e.image, src: null };
      try {
        const st = await fs.promises.stat(file);
        if (st.size > MAX_IMAGE_BYTES) return { image: e.image, src: null };
        return { image: e.image, src: `data:${mime};base64,${(await fs.promises.readFile(file)).toString('base64')}` };
      } catch {
        return { image: e.image, src: null };
      }
    }));
  }
}
