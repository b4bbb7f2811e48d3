// Owns the engine worker: sends typed requests, streams progress, cancels, and replaces a crashed worker.
// Used by the CLI and by the extension's engine client (no vscode import here).
import { Worker } from 'node:worker_threads';
import { EngineError, type EngineErrorCode } from '../errors';
import {
  validateWorkerMessage,
  type BackendChoice, type BackendInfo, type EngineRequest, type EngineResultOf, type HostMessage,
  type ProgressPayload, type WorkerMessage, CANCEL_SLOTS,
} from '../worker/protocol';

export interface EngineHostOptions {
  /** Absolute path of dist/engineWorker.js. */
  workerPath: string;
  backend?: BackendChoice;
  log?: (line: string) => void;
}

export interface RequestOptions {
  onProgress?: (p: ProgressPayload) => void;
  signal?: AbortSignal;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: ProgressPayload) => void;
  cancelTimer?: NodeJS.Timeout;
  /** Removes the abort listener once the request is settled (long jobs send thousands of requests on one signal). */
  detach?: () => void;
}

/** How long a cancelled request may take to stop cooperatively before the worker is terminated. */
const CANCEL_GRACE_MS = 1000;

export class EngineHost {
  private worker: Worker | null = null;
  private ready: Promise<BackendInfo> | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private cancelFlags = new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
  /** Number of workers started so far (1 + replacements); tests read it. */
  workersStarted = 0;

  constructor(private readonly opts: EngineHostOptions) {}

  /** Starts the worker if needed and resolves with the backend it chose. */
  backendInfo(): Promise<BackendInfo> {
    if (this.disposed) return Promise.reject(new EngineError('INTERNAL', 'engine host disposed'));
    if (!this.ready) this.ready = this.start();
    return this.ready;
  }

  async request<T extends EngineRequest>(request: T, options: RequestOptions = {}): Promise<EngineResultOf<T['type']>> {
    await this.backendInfo();
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress };
      this.pending.set(id, p);
      Atomics.store(this.cancelFlags, id % CANCEL_SLOTS, 0);
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        // The flag is read synchronously between iterations, even while the worker's event loop is busy.
        Atomics.store(this.cancelFlags, id % CANCEL_SLOTS, 1);
        this.post(worker, { kind: 'cancel', id });
        // A request stuck in one long kernel cannot see the flag: end the worker instead (a fresh one starts next time).
        p.cancelTimer = setTimeout(() => {
          if (this.pending.has(id)) this.failWorker(worker, new EngineError('CANCELLED', 'Cancelled (engine restarted to stop it)'));
        }, CANCEL_GRACE_MS);
      };
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      p.detach = () => options.signal?.removeEventListener('abort', onAbort);
      this.post(worker, { kind: 'request', id, request });
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new EngineError('CANCELLED', 'engine stopped'));
    }
    if (w) await w.terminate();
  }

  private post(worker: Worker, m: HostMessage) {
    worker.postMessage(m);
  }

  private start(): Promise<BackendInfo> {
    const worker = new Worker(this.opts.workerPath, { stdout: false, stderr: false });
    this.worker = worker;
    this.workersStarted++;
    return new Promise<BackendInfo>((resolve, reject) => {
      let initialised = false;
      worker.on('message', (raw: unknown) => {
        let m: WorkerMessage;
        try { m = validateWorkerMessage(raw); } catch (e) { this.opts.log?.(`[engine] ${(e as Error).message}`); return; }
        switch (m.kind) {
          case 'ready': initialised = true; this.opts.log?.(`[engine] backend ${m.backend.backend}: ${m.backend.reason}`); resolve(m.backend); break;
          case 'initError': reject(new EngineError('BACKEND_UNAVAILABLE', m.message)); this.failWorker(worker, new EngineError('BACKEND_UNAVAILABLE', m.message)); break;
          case 'log': this.opts.log?.(m.message); break;
          case 'progress': this.pending.get(m.id)?.onProgress?.(m.progress); break;
          case 'result': this.settle(m.id, (p) => p.resolve(m.result)); break;
          case 'error': this.settle(m.id, (p) => p.reject(new EngineError(m.code as EngineErrorCode, m.message))); break;
        }
      });
      worker.on('error', (err) => {
        const e = new EngineError('WORKER_CRASHED', `The analysis engine crashed: ${err.message}. It will be restarted for the next request.`);
        if (!initialised) reject(e);
        this.failWorker(worker, e);
      });
      worker.on('exit', (code) => {
        if (this.worker === worker && !this.disposed) {
          const e = new EngineError('WORKER_CRASHED', `The analysis engine stopped unexpectedly (exit code ${code}). It will be restarted for the next request.`);
          if (!initialised) reject(e);
          this.failWorker(worker, e);
        }
      });
      this.post(worker, { kind: 'init', backend: this.opts.backend ?? 'auto', cancelFlags: this.cancelFlags.buffer as SharedArrayBuffer });
    });
  }

  private settle(id: number, f: (p: Pending) => void) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.cancelTimer) clearTimeout(p.cancelTimer);
    p.detach?.();
    f(p);
  }

  /** Rejects everything in flight on this worker, terminates it, and lets the next request start a fresh one. */
  private failWorker(worker: Worker, err: EngineError) {
    if (this.worker !== worker) return;
    this.worker = null;
    this.ready = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.cancelTimer) clearTimeout(p.cancelTimer);
      p.detach?.();
      p.reject(err);
    }
    void worker.terminate();
  }
}
