// Chooses and initialises the TensorFlow.js backend: tfjs-node when it loads, else wasm made gradient-capable,
// cpu as the last resort or when asked (ENGINE_NOTES §0, §8). The choice and its reason are reported.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';
import type { BackendChoice, BackendInfo, BackendName } from '../worker/protocol';
import { registerRelu6Gradient, registerWasmGradKernels } from './wasmGradKernels';

let current: BackendInfo | null = null;

function tryLoadTfjsNode(): string | null {
  try {
    // Optional dependency: absent on machines where its libtensorflow download cannot run (ENGINE_NOTES §1).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

async function tryWasm(): Promise<string | null> {
  // The Emscripten loader reads the .wasm files next to the bundle (esbuild.mjs copies them there).
  setWasmPaths(__dirname + path.sep);
  let ok = false;
  try { ok = await tf.setBackend('wasm'); } catch (e) { return (e as Error).message; }
  // setBackend resolves false on a failed init (e.g. missing .wasm) instead of throwing (ENGINE_NOTES §6.1).
  if (!ok || tf.getBackend() !== 'wasm') return 'wasm backend failed to initialise (missing .wasm binaries next to the engine bundle?)';
  registerWasmGradKernels();
  return null;
}

/** Initialises the backend once per thread; later calls return the same info. */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current) return current;
  registerRelu6Gradient();
  const notes: string[] = [];
  let chosen: BackendName | null = null;
  if (requested === 'tensorflow' || requested === 'auto') {
    const err = tryLoadTfjsNode();
    if (!err && (await tf.setBackend('tensorflow'))) chosen = 'tensorflow';
    else if (requested === 'tensorflow') throw new Error(`The 'tensorflow' backend needs @tensorflow/tfjs-node, which could not be loaded: ${err ?? 'init failed'}`);
    else notes.push('tfjs-node not installed');
  }
  if (!chosen && (requested === 'wasm' || requested === 'auto')) {
    const err = await tryWasm();
    if (!err) chosen = 'wasm';
    else if (requested === 'wasm') throw new Error(err);
    else notes.push(err);
  }
  if (!chosen) {
    if (!(await tf.setBackend('cpu'))) throw new Error('no TensorFlow.js backend could be initialised');
    chosen = 'cpu';
  }
  const simd = chosen === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;
  const what = chosen === 'wasm' ? `WebAssembly${simd ? ' with SIMD' : ' without SIMD'}, CNN Lens gradient kernels`
    : chosen === 'cpu' ? 'pure JavaScript (slow)' : 'native TensorFlow (tfjs-node)';
  const reason = requested === 'auto' ? [...notes, `chose ${chosen}: ${what}`].join('; ') : `forced by setting: ${what}`;
  current = {
    backend: chosen, requested, reason, tfjsVersion: tf.version_core, simd,
    gradKernels: chosen === 'wasm', memory: memory(),
  };
  return current;
}

export function memory(): { numTensors: number; numBytes: number } {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

export function backendInfo(): BackendInfo {
  if (!current) throw new Error('backend not initialised');
  return { ...current, memory: memory() };
}
