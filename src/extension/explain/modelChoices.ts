// Where the "pick the model" step finds models: the workspace model registry (when the extension provides one),
// the cnnLens.model.path setting or the bundled demo model, and a file dialog. The last model used comes first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors';
import type { ModelSpec } from '../../engine/worker/protocol';
import type { ModelRegistry, RegisteredModel } from '../models/modelRegistry';
import { modelLocation } from '../settings';

/** The part of the workspace model registry (src/extension/models/modelRegistry.ts) this flow uses. */
export type ExplainModelSource = Pick<ModelRegistry, 'listAll' | 'get' | 'findByPath' | 'toModelSpec' | 'markUsed'>;

function registryChoice(registry: ExplainModelSource, m: RegisteredModel): ModelChoice {
  const rel = vscode.workspace.asRelativePath(m.uri, false);
  return {
    key: `registry:${m.id}`, name: m.name, spec: registry.toModelSpec(m), registryId: m.id,
    description: [m.format, m.origin === 'manifest' ? 'cnn-lens.json' : `discovered: ${rel}`].filter(Boolean).join(' · '),
  };
}

export interface ModelChoice {
  /** Stable key for the "last used" ordering: registry id or model path. */
  key: string;
  name: string;
  spec: ModelSpec;
  description?: string;
  /** Set for models from the workspace registry (their "last used" is recorded there too). */
  registryId?: string;
}

const LAST_USED_KEY = 'cnnLens.explain.lastModels';

export function modelName(spec: ModelSpec): string {
  const dir = path.basename(path.dirname(spec.path));
  return dir && dir !== '.' ? dir : path.basename(spec.path);
}

/** Every model the quick pick offers, most recently used first. */
export async function modelChoices(extensionPath: string, memento: vscode.Memento, registry?: ExplainModelSource): Promise<ModelChoice[]> {
  const out: ModelChoice[] = [];
  for (const m of (await registry?.listAll()) ?? []) out.push(registryChoice(registry!, m));
  try {
    const where = modelLocation(extensionPath);
    if (fs.existsSync(where.path) && !out.some((c) => path.resolve(c.spec.path) === where.path))
      out.push({
        key: where.path, spec: { path: where.path },
        name: where.source === 'demo' ? 'Demo model (bundled)' : modelName({ path: where.path }),
        description: where.source === 'demo' ? 'the small model shipped with CNN Lens' : 'setting cnnLens.model.path',
      });
  } catch { /* an unusable setting just offers nothing here; Show Engine Info explains it */ }
  const last = memento.get<string[]>(LAST_USED_KEY, []);
  const rank = (c: ModelChoice) => { const i = last.indexOf(c.key); return i < 0 ? Infinity : i; };
  return out.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

export async function rememberModel(memento: vscode.Memento, choice: ModelChoice, registry?: ExplainModelSource): Promise<void> {
  const last = memento.get<string[]>(LAST_USED_KEY, []).filter((k) => k !== choice.key);
  await memento.update(LAST_USED_KEY, [choice.key, ...last].slice(0, 20));
  if (choice.registryId !== undefined) await registry?.markUsed(choice.registryId);
}

/** A model given by id (registry) or path (absolute, or relative to the first workspace folder). */
export function modelFromArgs(args: { modelId?: string; modelPath?: string }, registry?: ExplainModelSource): ModelChoice | undefined {
  if (args.modelId !== undefined) {
    const m = registry?.get(args.modelId);
    if (!m) throw new EngineError('MODEL_NOT_FOUND', `No model with id "${args.modelId}" in the workspace (cnn-lens.json or discovered).`);
    return registryChoice(registry!, m);
  }
  if (args.modelPath !== undefined) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const p = path.isAbsolute(args.modelPath) || !folder ? path.resolve(args.modelPath) : path.join(folder, args.modelPath);
    // A registered model keeps its labels and preprocessing from the manifest.
    const known = registry?.findByPath(p);
    if (known) return registryChoice(registry!, known);
    return { key: p, name: modelName({ path: p }), spec: { path: p } };
  }
  return undefined;
}
