// The extremal loop on two threads (METHODS.md §1.8). Areas are independent optimisations, so while the network
// scores one area the mask thread (maskSideWorker.ts) steps the area scored just before and prepares its next input:
// an iteration then costs about max(network, mask side) instead of their sum. Each area sees exactly the arithmetic
// of the one-thread loop (HostChunk): network rows are independent, and each MaskSide step is per area.
import * as fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError, EngineError } from '../../errors';
import { areaWeightAt } from './areaTerm';
import type { ChunkContext } from './chunkOptimizer';
import type { GeneratorKernel } from './maskGenerator';
import { type FromMaskSide, type MaskSideDone, type MaskSideInput, type ToMaskSide, isFromMaskSide } from './maskSideProtocol';
import { networkStep } from './networkStep';

/** The mask thread's bundle, built next to every bundle that runs the engine (esbuild.mjs). */
const WORKER_FILE = 'extremalMaskWorker.js';

/** The mask thread's script, or null where it was not built (the one-thread loop is used then). */
export function maskWorkerPath(): string | null {
  const p = path.join(__dirname, WORKER_FILE);
  return fs.existsSync(p) ? p : null;
}

export interface PipelineHooks {
  isCancelled?: () => boolean;
  /** Iteration t is complete (its hist entries are filled); `masks` [K·H·W] when the iteration kept its masks. */
  onIteration(t: number, masks: Float32Array | null, areaWeight: number): Promise<void> | void;
}

/** Messages from the mask thread, per area in arrival order; a failure of the thread rejects every wait. */
class Inbox {
  private readonly queues: FromMaskSide[][];
  private readonly waiting = new Map<number, { resolve: (m: FromMaskSide) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  closed = false;

  constructor(worker: Worker, areas: number) {
    this.queues = Array.from({ length: areas }, () => []);
    worker.on('message', (m: unknown) => {
      if (!isFromMaskSide(m)) return this.fail(new EngineError('INTERNAL', `the mask thread sent an unexpected message`));
      if (m.type === 'failed') return this.fail(new EngineError('INTERNAL', `the mask thread failed: ${m.message}`));
      const w = this.waiting.get(m.area);
      if (w) { this.waiting.delete(m.area); w.resolve(m); } else this.queues[m.area].push(m);
    });
    worker.on('error', (e) => this.fail(new EngineError('INTERNAL', `the mask thread crashed: ${e.message}`)));
    worker.on('exit', (code) => { if (!this.closed) this.fail(new EngineError('INTERNAL', `the mask thread exited (code ${code})`)); });
  }

  private fail(e: Error) {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  next(area: number): Promise<FromMaskSide> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.queues[area].shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => this.waiting.set(area, { resolve, reject }));
  }
}

async function expect<T extends FromMaskSide['type']>(inbox: Inbox, area: number, type: T, iteration?: number) {
  const m = await inbox.next(area);
  if (m.type !== type || (m.type === 'input' && m.iteration !== iteration))
    throw new EngineError('INTERNAL', `mask thread out of step: expected ${type} ${iteration ?? ''} for area ${area}, got ${JSON.stringify(m).slice(0, 120)}`);
  return m as Extract<FromMaskSide, { type: T }>;
}

/**
 * Runs all iterations, filling `hist` [K, 2, T] as the one-thread loop does; returns the cropped masks [K·H·W]
 * generated at the start of the last iteration (§1.10).
 */
export async function runPipelined(workerPath: string, ctx: ChunkContext, levels: { values: Float32Array; shape: [number, number, number, number] },
  kernel: GeneratorKernel, hist: Float32Array, hooks: PipelineHooks): Promise<Float32Array> {
  const s = ctx.settings;
  const K = s.areas.length;
  const T = s.maxIter;
  const [, height, width, channels] = levels.shape;
  const pixels = height * width;
  const images = s.variant === 'dual' ? 2 : 1;
  const shape: [number, number, number, number] = [images, height, width, channels];
  const slot = () => new SharedArrayBuffer(images * pixels * channels * 4);
  const inputBuffers = s.areas.map(slot);
  const gradBuffers = s.areas.map(slot);
  const inputs = inputBuffers.map((b) => new Float32Array(b));
  const grads = gradBuffers.map((b) => new Float32Array(b));
  const worker = new Worker(workerPath);
  const inbox = new Inbox(worker, K);
  const send = (m: ToMaskSide) => worker.postMessage(m);
  /** Masks kept by iteration, until that iteration is reported. */
  const kept = new Map<number, Float32Array>();
  const keep = (t: number, a: number, mask: Float32Array | undefined) => {
    if (!mask) return;
    if (!kept.has(t)) kept.set(t, new Float32Array(K * pixels));
    kept.get(t)!.set(mask, a * pixels);
  };
  const report = async (t: number) => {
    const masks = kept.get(t) ?? null;
    if (t < T - 1) kept.delete(t);
    await hooks.onIteration(t, masks, areaWeightAt(t));
  };
  try {
    send({
      type: 'init', height, width, settings: s, kernel, levels: levels.values, levelsShape: levels.shape,
      inputs: inputBuffers, grads: gradBuffers,
    });
    for (let t = 0; t < T; t++) {
      const areaWeight = areaWeightAt(t);
      if (hooks.isCancelled?.()) throw new CancelledError(`extremal perturbation cancelled at iteration ${t} of ${T}`);
      for (let a = 0; a < K; a++) {
        const m: MaskSideInput = await expect(inbox, a, 'input', t);
        if (t > 0) hist[(a * 2 + 1) * T + t - 1] = m.previousAreaTerm!;
        keep(t, a, m.mask);
        const net = networkStep(ctx, inputs[a], shape, false);
        grads[a].set(net.dx);
        hist[(a * 2) * T + t] = net.reward[0];
        send({ type: 'grad', area: a, iteration: t, areaWeight });
      }
      // Iteration t − 1's area terms came with iteration t's inputs.
      if (t > 0) await report(t - 1);
    }
    for (let a = 0; a < K; a++) {
      const m: MaskSideDone = await expect(inbox, a, 'done');
      hist[(a * 2 + 1) * T + T - 1] = m.areaTerm;
    }
    await report(T - 1);
    const last = kept.get(T - 1);
    if (!last) throw new EngineError('INTERNAL', 'the last iteration kept no masks');
    return last;
  } finally {
    inbox.closed = true;
    await worker.terminate();
  }
}
