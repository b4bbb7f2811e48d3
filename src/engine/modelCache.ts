// Keeps the last few loaded models so repeated requests (panels, benchmarks) do not reload them.
import { loadModel, type LoadedModel } from './model/loadModel';
import type { ModelSpec } from './worker/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';

const MAX_MODELS = 2;

export class ModelCache {
  private entries = new Map<string, { loaded: LoadedModel; mtime: number }>();

  async get(spec: ModelSpec): Promise<LoadedModel> {
    const key = JSON.stringify([path.resolve(spec.path), spec.labels, spec.outputLayer, spec.preprocessing]);
    const mtime = modelMtime(spec.path);
    const hit = this.entries.get(key);
    if (hit && hit.mtime === mtime) {
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      return hit.loaded;
    }
    if (hit) { hit.loaded.model.dispose(); this.entries.delete(key); }
    const loaded = await loadModel(spec);
    this.entries.set(key, { loaded, mtime });
    while (this.entries.size > MAX_MODELS) {
      const [oldest, e] = this.entries.entries().next().value!;
      e.loaded.model.dispose();
      this.entries.delete(oldest);
    }
    return loaded;
  }

  clear(): void {
    for (const e of this.entries.values()) e.loaded.model.dispose();
    this.entries.clear();
  }
}

/** A retrained model (new model.json) must not be served from the cache. */
function modelMtime(p: string): number {
  try {
    const f = fs.statSync(p).isDirectory() ? path.join(p, 'model.json') : p;
    return fs.statSync(f).mtimeMs;
  } catch { return -1; }
}
