// Class names from a labels file: a JSON array, a JSON {index: name} object (Keras' imagenet_class_index style
// [wnid, name] pairs too), or plain text with one name a line.
import * as fs from 'node:fs';
import { EngineError } from '../errors';

export function readLabels(file: string): string[] {
  if (!fs.existsSync(file)) throw new EngineError('BAD_ARGUMENT', `Labels file not found: ${file}`);
  const text = fs.readFileSync(file, 'utf8');
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let v: unknown;
    try { v = JSON.parse(trimmed); } catch (e) { throw new EngineError('BAD_ARGUMENT', `Labels file ${file} is not valid JSON: ${(e as Error).message}`); }
    const name = (x: unknown) => (Array.isArray(x) ? String(x[x.length - 1]) : String(x));
    if (Array.isArray(v)) return v.map(name);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).map(Number);
    if (keys.some((k) => !Number.isInteger(k) || k < 0)) throw new EngineError('BAD_ARGUMENT', `Labels file ${file}: object keys must be class indices`);
    const out: string[] = [];
    for (const k of keys) out[k] = name(o[String(k)]);
    return Array.from(out, (x, i) => x ?? `class ${i}`);
  }
  return trimmed.split(/\r?\n/).map((l) => l.trim());
}
