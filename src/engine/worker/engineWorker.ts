// Worker-thread entry of the engine: initialises the backend, then serves typed requests one at a time.
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend/backend';
import { handle } from '../engine';
import { EngineError } from '../errors';
import { CANCEL_SLOTS, validateHostMessage, type EngineRequest, type WorkerMessage } from './protocol';

const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);
let flags: Int32Array | null = null;
let queue: Promise<void> = Promise.resolve();

port.on('message', (raw: unknown) => {
  let m;
  try { m = validateHostMessage(raw); } catch (e) { send({ kind: 'log', message: `[engine] rejected message: ${(e as Error).message}` }); return; }
  switch (m.kind) {
    case 'init':
      flags = new Int32Array(m.cancelFlags);
      initBackend(m.backend).then(
        (backend) => send({ kind: 'ready', backend }),
        (e) => send({ kind: 'initError', message: (e as Error).message }));
      break;
    case 'cancel':
      if (flags) Atomics.store(flags, m.id % CANCEL_SLOTS, 1);
      break;
    case 'request': {
      const { id, request } = m;
      // Requests run one after another: the backend is single-threaded and tensors are not shared between them.
      queue = queue.then(() => serve(id, request));
      break;
    }
  }
});

async function serve(id: number, request: EngineRequest): Promise<void> {
  const isCancelled = () => !!flags && Atomics.load(flags, id % CANCEL_SLOTS) === 1;
  try {
    if (isCancelled()) throw new EngineError('CANCELLED', 'Cancelled');
    const result = await handle(request, { isCancelled, progress: (progress) => send({ kind: 'progress', id, progress }) });
    send({ kind: 'result', id, result });
  } catch (e) {
    const err = e as Error;
    const code = e instanceof EngineError ? e.code : /memory access out of bounds|Aborted|RuntimeError/.test(err.message) ? 'WORKER_CRASHED' : 'INTERNAL';
    send({ kind: 'error', id, code, message: err.message });
    // wasm heap corruption is fatal for this worker (ENGINE_NOTES §6.2): exit so the host starts a fresh one.
    if (code === 'WORKER_CRASHED') setTimeout(() => process.exit(1), 10);
  }
}
