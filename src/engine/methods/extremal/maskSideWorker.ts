// The mask thread of the pipelined extremal loop (pipelinedAreas.ts): one MaskSide per area, stepping each as soon
// as the network thread has scored it, so that one area's mask work overlaps the next area's network pass.
import { parentPort } from 'node:worker_threads';
import { HELPER_THREAD_NICE, lowerThisThreadPriority } from '../../worker/threadPriority';
import { iterationFlags } from './extremalSettings';
import { HostPyramid } from './hostPyramid';
import { MaskGenerator } from './maskGenerator';
import { type FromMaskSide, type MaskSideInit, isToMaskSide } from './maskSideProtocol';
import { MaskSide } from './maskSide';

if (!parentPort) throw new Error('maskSideWorker runs in a worker thread');
const port = parentPort;
// This thread only borrows a second core: it yields to everything else, the network's thread included.
lowerThisThreadPriority(HELPER_THREAD_NICE);

let state: { init: MaskSideInit; sides: MaskSide[]; inputs: Float32Array[]; grads: Float32Array[] } | null = null;

function post(m: FromMaskSide) {
  port.postMessage(m);
}

function sendInput(area: number, iteration: number, previousAreaTerm?: number) {
  const { init, sides, inputs } = state!;
  const { flipped, capture } = iterationFlags(init.settings, iteration);
  inputs[area].set(sides[area].prepare(flipped, capture));
  post({ type: 'input', area, iteration, previousAreaTerm, mask: capture ? sides[area].masks()!.slice() : undefined });
}

port.on('message', (m: unknown) => {
  try {
    if (!isToMaskSide(m)) throw new Error(`unexpected message ${JSON.stringify(m)?.slice(0, 200)}`);
    if (m.type === 'init') {
      const s = m.settings;
      const generator = new MaskGenerator(m.height, m.width, s.step, s.sigma, m.kernel);
      const pyramid = new HostPyramid({ levels: m.levels, shape: m.levelsShape });
      const sides = s.areas.map((a) => new MaskSide([a], s.variant, generator, pyramid));
      state = { init: m, sides, inputs: m.inputs.map((b) => new Float32Array(b)), grads: m.grads.map((b) => new Float32Array(b)) };
      s.areas.forEach((_, a) => sendInput(a, 0));
      return;
    }
    if (!state) throw new Error('grad before init');
    const { flipped } = iterationFlags(state.init.settings, m.iteration);
    const { areaTerm } = state.sides[m.area].finish(state.grads[m.area], m.areaWeight, flipped, false);
    if (m.iteration + 1 < state.init.settings.maxIter) sendInput(m.area, m.iteration + 1, areaTerm[0]);
    else post({ type: 'done', area: m.area, areaTerm: areaTerm[0] });
  } catch (e) {
    post({ type: 'failed', message: (e as Error).stack ?? String(e) });
  }
});
