// The extension's handle on the analysis engine: wraps EngineHost (worker thread) with the backend setting,
// VS Code progress/cancellation and the output channel. The worker starts on first use, never at activation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../engine/errors';
import { EngineHost } from '../engine/host/engineHost';
import type { BackendChoice, BackendInfo, EngineRequest, EngineResultOf, ProgressPayload } from '../engine/worker/protocol';
import type { Notifier } from './notifier';
import type { CnnLensOutput } from './output';
import { BACKEND_SETTING, backendSetting } from './settings';

export interface ClientRequestOptions {
  /** Cancelling the token aborts the request (cooperatively, then by restarting the worker). */
  token?: vscode.CancellationToken;
  onProgress?: (p: ProgressPayload) => void;
}

export class EngineClient implements vscode.Disposable {
  private host: EngineHost | null = null;
  /** The backend setting the current worker was started with. */
  private hostBackend: BackendChoice | null = null;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Times the worker was replaced because the backend setting changed. */
  restarts = 0;

  constructor(
    private readonly extensionPath: string,
    private readonly out: CnnLensOutput,
    private readonly notifier: Notifier,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        // Only a running worker is restarted now; an idle client picks the new value up on first use.
        if (e.affectsConfiguration(BACKEND_SETTING) && this.host) void this.restartForSetting();
      }),
    );
  }

  get workerPath(): string {
    return path.join(this.extensionPath, 'dist', 'engineWorker.js');
  }

  /** True once a worker has been started (and not disposed). */
  get running(): boolean {
    return this.host !== null;
  }

  /** Starts the worker if needed and resolves with the backend it chose. */
  backendInfo(): Promise<BackendInfo> {
    try {
      return this.ensureHost().backendInfo();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async request<T extends EngineRequest>(request: T, options: ClientRequestOptions = {}): Promise<EngineResultOf<T['type']>> {
    const host = this.ensureHost();
    const abort = new AbortController();
    const onCancel = options.token?.onCancellationRequested(() => abort.abort());
    if (options.token?.isCancellationRequested) abort.abort();
    try {
      return await host.request(request, { signal: abort.signal, onProgress: options.onProgress });
    } finally {
      onCancel?.dispose();
    }
  }

  /** Runs a request behind a cancellable notification that shows the engine's progress. */
  async withProgress<T extends EngineRequest>(title: string, request: T): Promise<EngineResultOf<T['type']>> {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `CNN Lens: ${title}`, cancellable: true },
      (progress, token) => {
        let done = 0; // percent already reported: VS Code's `increment` is relative
        return this.request(request, {
          token,
          onProgress: (p) => {
            const pct = p.total > 0 ? Math.min(100, (100 * p.step) / p.total) : done;
            progress.report({ message: p.message ?? `${p.step}/${p.total}`, increment: Math.max(0, pct - done) });
            done = Math.max(done, pct);
          },
        });
      },
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    void this.host?.dispose();
    this.host = null;
    this.hostBackend = null;
  }

  /** The current worker, or a fresh one when none runs or the backend setting no longer matches it. */
  private ensureHost(): EngineHost {
    const wanted = backendSetting();
    if (this.host && this.hostBackend === wanted) return this.host;
    if (this.host) {
      this.out.info(`Backend setting changed from ${this.hostBackend} to ${wanted}: restarting the engine.`);
      void this.host.dispose();
      this.host = null;
      this.restarts++;
    }
    if (!fs.existsSync(this.workerPath))
      throw new EngineError('INTERNAL', `The engine bundle is missing at ${this.workerPath}. Run "npm run build".`);
    this.out.info(`Starting the engine worker (backend setting: ${wanted}).`);
    this.host = new EngineHost({ workerPath: this.workerPath, backend: wanted, log: (line) => this.out.info(line) });
    this.hostBackend = wanted;
    return this.host;
  }

  private async restartForSetting() {
    try {
      const info = await this.backendInfo();
      this.out.info(`Engine running on ${info.backend} (${info.reason}).`);
    } catch (e) {
      this.notifier.error('Restarting the engine with the new backend setting', e);
    }
  }
}
