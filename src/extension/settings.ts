// Reads and validates the cnnLens.* settings contributed in package.json.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError } from '../engine/errors';
import type { BackendChoice } from '../engine/worker/protocol';

const BACKENDS: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
export const BACKEND_SETTING = 'cnnLens.engine.backend';
export const MODEL_PATH_SETTING = 'cnnLens.model.path';

/** cnnLens.engine.backend; a hand-edited value outside the enum is an error, not a silent fallback. */
export function backendSetting(): BackendChoice {
  const value = vscode.workspace.getConfiguration().get<string>(BACKEND_SETTING, 'auto');
  if (!(BACKENDS as readonly string[]).includes(value))
    throw new EngineError('BAD_ARGUMENT', `Setting ${BACKEND_SETTING} is "${value}"; use one of ${BACKENDS.join(', ')}.`);
  return value as BackendChoice;
}

export interface ModelLocation {
  path: string;
  /** 'demo' when the setting is empty and the bundled demo model is used. */
  source: 'setting' | 'demo';
}

/** The bundled demo model, used when cnnLens.model.path is empty. */
export function demoModelPath(extensionPath: string): string {
  return path.join(extensionPath, 'media', 'demo-model', 'model.json');
}

/**
 * cnnLens.model.path as an absolute path: `~` and `${workspaceFolder}` are expanded, and a relative path is taken
 * from the first workspace folder.
 */
export function modelLocation(extensionPath: string): ModelLocation {
  const raw = (vscode.workspace.getConfiguration().get<string>(MODEL_PATH_SETTING, '') ?? '').trim();
  if (!raw) return { path: demoModelPath(extensionPath), source: 'demo' };
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let p = raw.replace(/^~(?=$|[\\/])/, os.homedir());
  if (p.includes('${workspaceFolder}')) {
    if (!folder) throw new EngineError('BAD_ARGUMENT', `${MODEL_PATH_SETTING} uses \${workspaceFolder}, but no folder is open.`);
    p = p.split('${workspaceFolder}').join(folder);
  }
  if (!path.isAbsolute(p)) {
    if (!folder) throw new EngineError('BAD_ARGUMENT', `${MODEL_PATH_SETTING} is a relative path ("${raw}"), but no folder is open.`);
    p = path.join(folder, p);
  }
  return { path: path.normalize(p), source: 'setting' };
}
