// Model details (input shape, classes, layers) for the view, loaded by the engine worker only when someone expands
// a model, and cached until the model file or its manifest entry changes.
import * as fs from 'node:fs/promises';
import type { ModelInfo } from '../../engine/model/modelTypes';
import type { EngineClient } from '../engineClient';
import { describeError } from '../notifier';
import type { ModelRegistry, RegisteredModel } from './modelRegistry';

export type ModelDetails =
  | { state: 'loading' }
  | { state: 'loaded'; info: ModelInfo; labels: string[] | null }
  | { state: 'failed'; message: string };

export class ModelDetailsCache {
  private readonly entries = new Map<string, { key: string; details: ModelDetails; done: Promise<ModelDetails> }>();

  constructor(private readonly engine: EngineClient, private readonly registry: ModelRegistry) {}

  /** What is known now, without starting a load. */
  peek(model: RegisteredModel): ModelDetails | undefined {
    return this.entries.get(model.id)?.details;
  }

  /**
   * Starts loading (once per model version) and resolves with the outcome. `onSettled` runs when a load this call
   * started finishes, so the view can refresh that one item.
   */
  async load(model: RegisteredModel, onSettled?: () => void): Promise<ModelDetails> {
    const key = await versionKey(model, this.registry);
    const cached = this.entries.get(model.id);
    if (cached && cached.key === key) return cached.done;
    const entry = { key, details: { state: 'loading' } as ModelDetails, done: Promise.resolve<ModelDetails>({ state: 'loading' }) };
    entry.done = this.engine.request({ type: 'loadModel', model: this.registry.toModelSpec(model) })
      .then((r): ModelDetails => ({ state: 'loaded', info: r.model, labels: r.labels }))
      .catch((e: unknown): ModelDetails => ({ state: 'failed', message: describeError(e) }))
      .then((d) => {
        entry.details = d;
        onSettled?.();
        return d;
      });
    this.entries.set(model.id, entry);
    return entry.done;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Changes when the model file is rewritten or its manifest entry is edited. */
async function versionKey(model: RegisteredModel, registry: ModelRegistry): Promise<string> {
  let mtime = 0;
  try {
    mtime = (await fs.stat(model.uri.fsPath)).mtimeMs;
  } catch {
    // missing file: the load reports it
  }
  return `${mtime}|${JSON.stringify(registry.toModelSpec(model))}`;
}
