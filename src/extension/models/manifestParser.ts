// Parses and checks a manifest's text. Never throws: every problem becomes an issue with the text range it is
// about (shown as a diagnostic), and an entry with an error is left out of the registry rather than half-used.
// Pure (no vscode), so unit tests and the benchmark can run it in Node.
import { EngineError } from '../../engine/errors';
import { resolvePreprocessing } from '../../engine/image/resolvePreprocessing';
import type { Preprocessing } from '../../engine/model/modelTypes';
import { getNodeValue, type JsonNode, type ParseError, parseTree, printParseErrorCode } from './jsonc';
import { type ManifestEntry, MODEL_FORMATS, type ModelFormat, type ModelSourceLink } from './manifestTypes';

export interface TextRange { offset: number; length: number }

export interface ManifestIssue extends TextRange {
  severity: 'error' | 'warning';
  message: string;
}

export interface ParsedManifestEntry {
  /** Position in the `models` array. */
  index: number;
  entry: ManifestEntry;
  /** The whole entry object, for "open in manifest". */
  range: TextRange;
  /** The `path` value, for diagnostics about the file it names. */
  pathRange: TextRange;
}

export interface ParsedManifest {
  /** Valid entries only, in manifest order. */
  entries: ParsedManifestEntry[];
  issues: ManifestIssue[];
}

const ENTRY_KEYS = new Set(['name', 'path', 'format', 'preprocessing', 'labels', 'outputLayer', 'gradCamLayer', 'description', 'source']);
const PREPROCESSING_KEYS = new Set<keyof Preprocessing>(['height', 'width', 'channels', 'inputRange', 'mean', 'std']);
const OPTIONAL_STRINGS = ['labels', 'outputLayer', 'gradCamLayer', 'description'] as const;

/** Which format a model file's name implies: .onnx, or a TF.js model.json (layers or graph: decided by its content). */
export function formatFamilyOf(path: string): 'onnx' | 'tfjs' | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.onnx')) return 'onnx';
  if (p.endsWith('.json')) return 'tfjs';
  return undefined;
}

export function parseManifest(text: string): ParsedManifest {
  const issues: ManifestIssue[] = [];
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  for (const e of errors) issues.push({ offset: e.offset, length: Math.max(1, e.length), severity: 'error', message: `JSON syntax: ${printParseErrorCode(e.error)}.` });
  if (!root) return { entries: [], issues: issues.length ? issues : [{ offset: 0, length: 1, severity: 'error', message: 'The manifest is empty; expected { "models": [ … ] }.' }] };
  if (root.type !== 'object') {
    issues.push({ ...rangeOf(root), severity: 'error', message: 'The manifest must be an object: { "models": [ … ] }.' });
    return { entries: [], issues };
  }

  let models: JsonNode | undefined;
  for (const prop of root.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (!key || !value) continue;
    if (key.value === 'models') models = value;
    else if (key.value !== '$schema') issues.push({ ...rangeOf(key), severity: 'warning', message: `Unknown property "${key.value}"; a manifest has "models" (and optionally "$schema").` });
  }
  if (!models) {
    issues.push({ offset: root.offset, length: 1, severity: 'error', message: 'The manifest has no "models" array.' });
    return { entries: [], issues };
  }
  if (models.type !== 'array') {
    issues.push({ ...rangeOf(models), severity: 'error', message: '"models" must be an array of model entries.' });
    return { entries: [], issues };
  }

  const entries: ParsedManifestEntry[] = [];
  const names = new Map<string, number>();
  (models.children ?? []).forEach((node, index) => {
    const before = issues.length;
    const entry = checkEntry(node, issues);
    const hasError = issues.slice(before).some((i) => i.severity === 'error');
    if (!entry || hasError) return;
    const nameNode = propertyValue(node, 'name');
    if (names.has(entry.name)) {
      issues.push({ ...rangeOf(nameNode ?? node), severity: 'error', message: `Duplicate model name "${entry.name}" (also entry ${names.get(entry.name)! + 1}); names identify models and must be unique.` });
      return;
    }
    names.set(entry.name, index);
    entries.push({ index, entry, range: { offset: node.offset, length: node.length }, pathRange: rangeOf(propertyValue(node, 'path') ?? node) });
  });
  return { entries, issues };
}

function checkEntry(node: JsonNode, issues: ManifestIssue[]): ManifestEntry | undefined {
  const err = (n: JsonNode, message: string) => issues.push({ ...rangeOf(n), severity: 'error', message });
  if (node.type !== 'object') {
    err(node, 'A model entry must be an object with at least "name" and "path".');
    return undefined;
  }
  for (const prop of node.children ?? []) {
    const key = prop.children?.[0];
    if (key && !ENTRY_KEYS.has(String(key.value)))
      issues.push({ ...rangeOf(key), severity: 'warning', message: `Unknown property "${key.value}"; expected one of ${[...ENTRY_KEYS].join(', ')}.` });
  }
  const name = requiredString(node, 'name', err);
  const path = requiredString(node, 'path', err);
  const entry: Partial<ManifestEntry> = { name, path };

  const pathNode = propertyValue(node, 'path');
  if (path !== undefined && pathNode && !formatFamilyOf(path))
    err(pathNode, `"path" must name a TF.js model.json or an .onnx file, got "${path}".`);

  const formatNode = propertyValue(node, 'format');
  if (formatNode) {
    const format = getNodeValue(formatNode) as unknown;
    if (!MODEL_FORMATS.includes(format as ModelFormat)) err(formatNode, `"format" must be one of ${MODEL_FORMATS.join(', ')}.`);
    else {
      entry.format = format as ModelFormat;
      const family = path ? formatFamilyOf(path) : undefined;
      if (family && (family === 'onnx') !== (format === 'onnx'))
        err(formatNode, `"format" is ${format} but "path" names ${family === 'onnx' ? 'an .onnx file' : 'a TF.js model.json'}.`);
    }
  }

  for (const key of OPTIONAL_STRINGS) {
    const n = propertyValue(node, key);
    if (!n) continue;
    if (n.type !== 'string' || !String(n.value).trim()) err(n, `"${key}" must be a non-empty string.`);
    else entry[key] = n.value as string;
  }

  const pre = propertyValue(node, 'preprocessing');
  if (pre) entry.preprocessing = checkPreprocessing(pre, issues);

  const src = propertyValue(node, 'source');
  if (src) entry.source = checkSource(src, err);

  return name !== undefined && path !== undefined ? entry as ManifestEntry : undefined;
}

function checkPreprocessing(node: JsonNode, issues: ManifestIssue[]): Partial<Preprocessing> | undefined {
  if (node.type !== 'object') {
    issues.push({ ...rangeOf(node), severity: 'error', message: '"preprocessing" must be an object (height, width, channels, inputRange or mean/std).' });
    return undefined;
  }
  for (const prop of node.children ?? []) {
    const key = prop.children?.[0];
    if (key && !PREPROCESSING_KEYS.has(key.value as keyof Preprocessing))
      issues.push({ ...rangeOf(key), severity: 'error', message: `Unknown preprocessing property "${key.value}"; expected ${[...PREPROCESSING_KEYS].join(', ')}.` });
  }
  const value = getNodeValue(node) as Partial<Preprocessing>;
  try {
    // The engine's own check, with a fully dynamic model shape: the manifest cannot know the model's size yet.
    resolvePreprocessing(value, [0, 0, 0]);
  } catch (e) {
    issues.push({ ...rangeOf(node), severity: 'error', message: e instanceof EngineError ? e.message : String(e) });
  }
  return value;
}

function checkSource(node: JsonNode, err: (n: JsonNode, m: string) => void): ModelSourceLink | undefined {
  if (node.type !== 'object') {
    err(node, '"source" must be an object { "file": …, "symbol": … }.');
    return undefined;
  }
  const file = requiredString(node, 'file', err);
  const symbol = requiredString(node, 'symbol', err);
  const symbolNode = propertyValue(node, 'symbol');
  if (symbol !== undefined && symbolNode && !/^[A-Za-z_$][\w$]*$/.test(symbol))
    err(symbolNode, `"symbol" must be a class or variable name, got "${symbol}".`);
  return file !== undefined && symbol !== undefined ? { file, symbol } : undefined;
}

function requiredString(node: JsonNode, key: string, err: (n: JsonNode, m: string) => void): string | undefined {
  const n = propertyValue(node, key);
  if (!n) {
    err(node, `Missing "${key}".`);
    return undefined;
  }
  if (n.type !== 'string' || !String(n.value).trim()) {
    err(n, `"${key}" must be a non-empty string.`);
    return undefined;
  }
  return n.value as string;
}

function propertyValue(node: JsonNode, key: string): JsonNode | undefined {
  for (const prop of node.children ?? []) if (prop.children?.[0]?.value === key) return prop.children[1];
  return undefined;
}

/** Object nodes point at their opening brace only, so a squiggle does not cover a whole entry. */
function rangeOf(node: JsonNode): TextRange {
  return { offset: node.offset, length: node.type === 'object' || node.type === 'array' ? 1 : Math.max(1, node.length) };
}
