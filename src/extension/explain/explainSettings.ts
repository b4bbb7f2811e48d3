// The cnnLens.explain.* settings: the default method and per-method parameter defaults ("Advanced…" starts from them).
import * as vscode from 'vscode';
import type { MethodName } from '../../engine/methods/attributionMethod';
import { METHODS } from './methodCatalog';

export const DEFAULT_METHOD_SETTING = 'cnnLens.explain.defaultMethod';
export const METHOD_SETTINGS_SETTING = 'cnnLens.explain.methodSettings';

export function defaultMethod(): MethodName {
  const v = vscode.workspace.getConfiguration().get<string>(DEFAULT_METHOD_SETTING, 'extremal');
  return (METHODS.find((m) => m.name === v)?.name ?? 'extremal');
}

/** Parameter overrides for one method from `cnnLens.explain.methodSettings`, e.g. `{ "extremal": { "areas": [0.05, 0.1] } }`. */
export function methodDefaults(method: string): Record<string, unknown> {
  const all = vscode.workspace.getConfiguration().get<Record<string, unknown>>(METHOD_SETTINGS_SETTING, {});
  const m = all?.[method];
  return typeof m === 'object' && m !== null && !Array.isArray(m) ? { ...(m as Record<string, unknown>) } : {};
}
