// Scans an open document for model definitions with the scanner for its language, cached per document version so
// the CodeLens provider and the link command share one pass.
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { sniffTfjsFormat } from '../models/modelFileSniffer';
import type { DefinitionKind, SourceScan } from './modelDefinition';
import { scanPython } from './pythonModelScanner';
import { scanScript } from './scriptModelScanner';

export const SCRIPT_LANGUAGES = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'];
export const SOURCE_LANGUAGES = ['python', ...SCRIPT_LANGUAGES];

const cache = new Map<string, { version: number; scan: SourceScan }>();
const MAX_CACHED = 50;

export function scanDocument(doc: vscode.TextDocument): SourceScan {
  const key = doc.uri.toString();
  const hit = cache.get(key);
  if (hit && hit.version === doc.version) return hit.scan;
  const scan = scanText(doc.languageId, doc.uri.fsPath, doc.getText());
  cache.delete(key);
  cache.set(key, { version: doc.version, scan });
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return scan;
}

export function scanText(languageId: string, file: string, text: string): SourceScan {
  if (languageId === 'python') return scanPython(text);
  if (SCRIPT_LANGUAGES.includes(languageId)) return scanScript(text);
  if (path.basename(file).toLowerCase() === 'model.json' && sniffTfjsFormat(text.slice(0, 64 * 1024)))
    return { definitions: [{ name: path.basename(path.dirname(file)), kind: 'tfjs-model-json', line: 0, column: 0 }], exports: [] };
  return { definitions: [], exports: [] };
}

export function frameworkOf(kind: DefinitionKind): 'pytorch' | 'keras' | 'tfjs' {
  if (kind === 'torch-module') return 'pytorch';
  return kind.startsWith('keras') ? 'keras' : 'tfjs';
}
