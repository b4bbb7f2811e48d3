// One Explain panel per image: explanations of that image (methods, classes, models) side by side, the live mask
// while a run is in progress, and exports. The extension holds the authoritative list of entries and re-sends it
// whenever the webview (re)loads; the webview persists it with setState so a window reload restores it through the
// serializer (no retainContextWhenHidden). Messages are only posted to a webview that said "ready"; whatever it
// missed (before "ready", or while hidden and destroyed) is replayed from this state, so nothing shown depends on
// a message arriving: runs in progress with their latest step, energies and masks, and failures until dismissed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  EXPLAIN_VIEW_TYPE, ProtocolError, validateFromPanel, validateState,
  type ExplanationEntry, type FromPanelMessage, type PendingEntry, type ProgressUpdate, type ToPanelMessage,
} from '../../webview/explainPanelProtocol';
import type { Notifier } from '../notifier';
import type { CnnLensOutput } from '../output';
import { decodeFloats } from './entryCodec';
import { panelHtml } from './panelHtml';

export interface PanelDeps {
  extensionUri: vscode.Uri;
  out: CnnLensOutput;
  notifier: Notifier;
  /** Starts another explanation of the same image (the "Compare…" button). */
  compare(imagePath: string): void;
}

/** A run shown in a panel: the runner reports progress and the outcome through it. */
export interface PanelRun {
  readonly token: vscode.CancellationToken;
  progress(u: Omit<ProgressUpdate, 'id'>): void;
  finish(entry: Omit<ExplanationEntry, 'id'>): ExplanationEntry;
  fail(message: string, cancelled: boolean): void;
}

let counter = 0;
const newId = () => `x${Date.now().toString(36)}${(counter++).toString(36)}`;

export class ExplainPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, ExplainPanel>();
  private readonly entries = new Map<string, ExplanationEntry>();
  private readonly running = new Map<string, { pending: PendingEntry; cts: vscode.CancellationTokenSource; last?: ProgressUpdate }>();
  /** Runs that failed (not cancelled), kept until the user dismisses them: a hidden panel would otherwise lose the error. */
  private readonly failures = new Map<string, { pending: PendingEntry; message: string }>();
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages the webview rejected or sent malformed (tests read it). */
  rejectedMessages = 0;

  /** The open panel for an image, or a new one beside the active editor. */
  static forImage(imagePath: string, deps: PanelDeps): ExplainPanel {
    const existing = ExplainPanel.panels.get(imagePath);
    if (existing) { existing.panel.reveal(undefined, true); return existing; }
    const panel = vscode.window.createWebviewPanel(EXPLAIN_VIEW_TYPE, ExplainPanel.title(imagePath),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, ExplainPanel.options(deps.extensionUri));
    return new ExplainPanel(panel, imagePath, deps, []);
  }

  /** Re-creates a panel after a window reload from the state its webview saved. */
  static restore(panel: vscode.WebviewPanel, state: unknown, deps: PanelDeps): ExplainPanel | undefined {
    const s = validateState(state);
    // Nothing usable to show (no finished explanation, or an older state format): an empty panel would only confuse.
    if (!s || !s.entries.length) { panel.dispose(); return undefined; }
    panel.webview.options = ExplainPanel.options(deps.extensionUri);
    return new ExplainPanel(panel, s.imagePath, deps, s.entries);
  }

  static all(): ExplainPanel[] {
    return [...ExplainPanel.panels.values()];
  }

  private static title(imagePath: string) {
    return `Explain: ${path.basename(imagePath)}`;
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      // Only the front end's own files: pictures arrive inside messages, so no workspace folder is exposed.
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    };
  }

  private constructor(readonly panel: vscode.WebviewPanel, readonly imagePath: string, private readonly deps: PanelDeps, entries: ExplanationEntry[]) {
    for (const e of entries) this.entries.set(e.id, e);
    ExplainPanel.panels.set(imagePath, this);
    panel.iconPath = {
      light: vscode.Uri.joinPath(deps.extensionUri, 'media', 'icons', 'explain-light.svg'),
      dark: vscode.Uri.joinPath(deps.extensionUri, 'media', 'icons', 'explain-dark.svg'),
    };
    const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview', 'explainPanel.main.js'));
    panel.webview.html = panelHtml(panel.webview, script, ExplainPanel.title(imagePath));
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      // A hidden webview is destroyed (no retainContextWhenHidden); it says "ready" again when shown.
      panel.onDidChangeViewState(() => { if (!panel.visible) this.ready = false; }),
    );
  }

  get entryCount(): number { return this.entries.size; }
  get runningCount(): number { return this.running.size; }
  entry(id: string): ExplanationEntry | undefined { return this.entries.get(id); }

  /** Shows a new run (with its live mask) and returns the handle the runner reports through. */
  start(pending: Omit<PendingEntry, 'id' | 'imageSrc'>, imageSrc: string | undefined, parent?: vscode.CancellationToken): PanelRun {
    const id = newId();
    const cts = new vscode.CancellationTokenSource();
    const sub = parent?.onCancellationRequested(() => cts.cancel());
    const full: PendingEntry = { ...pending, id, ...(imageSrc ? { imageSrc } : {}) };
    const run = { pending: full, cts, last: undefined as ProgressUpdate | undefined };
    this.running.set(id, run);
    this.post({ type: 'started', entry: full });
    const end = () => { this.running.delete(id); sub?.dispose(); cts.dispose(); };
    return {
      token: cts.token,
      progress: (u) => {
        const update = { ...u, id };
        // Coalesced for the replay: the latest step and energies, with the latest masks (most updates carry none).
        const maps = update.maps ?? run.last?.maps;
        run.last = maps ? { ...update, maps } : update;
        this.post({ type: 'progress', update });
      },
      finish: (e) => {
        end();
        const entry: ExplanationEntry = { ...e, id };
        this.entries.set(id, entry);
        this.post({ type: 'result', entry });
        return entry;
      },
      fail: (message, cancelled) => {
        end();
        if (!cancelled) this.failures.set(id, { pending: full, message });
        this.post({ type: 'failed', id, message, cancelled });
      },
    };
  }

  dispose(): void {
    ExplainPanel.panels.delete(this.imagePath);
    for (const r of this.running.values()) r.cts.cancel();
    this.running.clear();
    this.failures.clear();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }

  private post(m: ToPanelMessage) {
    // Before "ready" the page cannot listen yet; it gets everything in the sync that follows "ready".
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private sync() {
    for (const entry of this.entries.values()) void this.panel.webview.postMessage({ type: 'result', entry } satisfies ToPanelMessage);
    for (const r of this.running.values()) {
      void this.panel.webview.postMessage({ type: 'started', entry: r.pending } satisfies ToPanelMessage);
      if (r.last) void this.panel.webview.postMessage({ type: 'progress', update: r.last } satisfies ToPanelMessage);
    }
    for (const [id, f] of this.failures) {
      void this.panel.webview.postMessage({ type: 'started', entry: f.pending } satisfies ToPanelMessage);
      void this.panel.webview.postMessage({ type: 'failed', id, message: f.message, cancelled: false } satisfies ToPanelMessage);
    }
  }

  private async receive(raw: unknown) {
    let m: FromPanelMessage;
    try {
      m = validateFromPanel(raw);
    } catch (e) {
      this.rejectedMessages++;
      this.deps.out.warn(`Explain panel: ${e instanceof ProtocolError ? e.message : String(e)}`);
      return;
    }
    try {
      await this.handle(m);
    } catch (e) {
      this.deps.notifier.error('The Explain panel action', e);
    }
  }

  private async handle(m: FromPanelMessage) {
    if (m.type === 'ready') { this.ready = true; this.sync(); return; }
    if (m.type === 'cancel') { this.running.get(m.id)?.cts.cancel(); return; }
    if (m.type === 'remove') { this.running.get(m.id)?.cts.cancel(); this.entries.delete(m.id); this.failures.delete(m.id); return; }
    if (m.type === 'compare') { this.deps.compare(this.imagePath); return; }
    const entry = this.entries.get(m.id);
    if (!entry) { this.deps.out.warn(`Explain panel: no explanation ${m.id}`); return; }
    const stem = `${path.basename(entry.imagePath).replace(/\.[^.]+$/, '')}-${entry.method}-${entry.target}`;
    switch (m.type) {
      case 'copyCli':
        await vscode.env.clipboard.writeText(entry.cli);
        this.post({ type: 'notice', message: 'CLI command copied to the clipboard.' });
        return;
      case 'exportJson':
        await this.save(`${stem}.json`, { JSON: ['json'] }, Buffer.from(JSON.stringify(explanationJson(entry), null, 1)));
        return;
      case 'exportPng':
        await this.save(`${stem}-${m.kind}.png`, { PNG: ['png'] }, Buffer.from(m.png, 'base64'));
        return;
    }
  }

  private async save(name: string, filters: Record<string, string[]>, data: Buffer) {
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(path.dirname(this.imagePath), name)), filters });
    if (!uri) return;
    await fs.promises.writeFile(uri.fsPath, data);
    this.post({ type: 'notice', message: `Saved ${path.basename(uri.fsPath)}.` });
    this.deps.out.info(`Explain panel: wrote ${uri.fsPath}`);
  }
}

/** The raw values of an explanation as JSON: the CLI's explanation.json fields, with every map's values inline. */
export function explanationJson(e: ExplanationEntry) {
  return {
    method: e.method, target: e.target, targetLabel: e.targetLabel, backend: e.backend, settings: e.settings,
    elapsedMs: e.elapsedMs, scores: e.scores, predictions: e.predictions,
    model: { name: e.modelName, path: e.modelPath }, image: { path: e.imagePath, width: e.image.width, height: e.image.height },
    maps: e.maps.map((m) => ({ name: m.name, ...(m.area !== undefined ? { area: m.area } : {}), width: m.width, height: m.height, values: Array.from(decodeFloats(m.data)) })),
    cli: e.cli,
  };
}
