// Finds model definitions and model exports in Python source without a Python parser: one linear pass over the
// text with comments and docstrings blanked. It resolves import aliases (import torch.nn as tnn, from keras import
// Model as KModel) and in-file subclassing (class B(A) where A is a model), and it tolerates syntax errors.
import { type ModelDefinition, type ModelExport, type SourceScan, exportedModelFile } from './modelDefinition';
import { argument, callArguments, LineIndex, maskPython, stringLiteral } from './sourceText';

type Role = 'torch-module' | 'keras-model' | 'keras-sequential';

/** What a fully qualified name is, once aliases are expanded ('tf' counts as 'tensorflow'). */
function roleOf(qualified: string): Role | undefined {
  const q = qualified.replace(/^tf\./, 'tensorflow.');
  if (/(^|\.)nn\.Module$/.test(q) || /(^|\.)nn\.modules\.module\.Module$/.test(q) || /(^|\.)LightningModule$/.test(q)) return 'torch-module';
  if (/(^|\.)keras(\.models)?\.Model$/.test(q)) return 'keras-model';
  if (/(^|\.)keras(\.models)?\.Sequential$/.test(q)) return 'keras-sequential';
  return undefined;
}

/** Local names bound by import statements, mapped to what they stand for. */
class Imports {
  private readonly names = new Map<string, string>();

  add(statement: string): void {
    const from = /^from\s+([\w.]+)\s+import\s+\(?([^)]*)\)?/.exec(statement);
    if (from) {
      for (const part of from[2].split(',')) {
        const m = /^\s*([A-Za-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(part);
        if (m) this.names.set(m[2] ?? m[1], `${from[1]}.${m[1]}`);
      }
      return;
    }
    const imp = /^import\s+(.+)$/.exec(statement);
    if (!imp) return;
    for (const part of imp[1].split(',')) {
      const m = /^\s*([\w.]+)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(part);
      if (!m) continue;
      if (m[2]) this.names.set(m[2], m[1]);
      else this.names.set(m[1].split('.')[0], m[1].split('.')[0]);
    }
  }

  /** `a.b.c` with its first component replaced by what `a` was imported as. */
  expand(dotted: string): string {
    const dot = dotted.indexOf('.');
    const head = dot === -1 ? dotted : dotted.slice(0, dot);
    const bound = this.names.get(head);
    return bound === undefined ? dotted : bound + (dot === -1 ? '' : dotted.slice(dot));
  }
}

const IMPORT = /^[ \t]*((?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+[^\n]*)/gm;
const CLASS = /^([ \t]*)class[ \t]+([A-Za-z_]\w*)[ \t]*\(/gm;
const ASSIGN = /^[ \t]*([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*([A-Za-z_][\w.]*)[ \t]*\(/gm;
const ONNX_EXPORT = /\bonnx\.export[ \t]*\(/g;
const SAVE_KERAS = /\bsave_keras_model[ \t]*\(/g;
const SAVE = /\.save[ \t]*\(/g;

const lineEndOf = (text: string, from: number) => {
  const nl = text.indexOf('\n', from);
  return nl === -1 ? text.length : nl;
};

export function scanPython(text: string): SourceScan {
  const src = maskPython(text);
  const lines = new LineIndex(src);
  const imports = new Imports();

  for (const m of src.matchAll(IMPORT)) {
    let statement = m[1];
    // from x import (a,\n b): join the parenthesised continuation.
    if (/import\s*\(/.test(statement) && !statement.includes(')')) {
      const close = src.indexOf(')', m.index + m[0].length);
      if (close !== -1 && close - m.index < 4000) statement = src.slice(m.index, close + 1).trim().replace(/\s+/g, ' ');
    }
    imports.add(statement.trim());
  }

  // Classes and their bases; a class is a model when a base is a framework model or an in-file model class.
  const classes: { name: string; bases: string[]; offset: number }[] = [];
  for (const m of src.matchAll(CLASS)) {
    const open = m.index + m[0].length - 1;
    // An unclosed base list (code being typed) still counts, up to the end of its line.
    const args = callArguments(src, open) ?? src.slice(open + 1, lineEndOf(src, open)).split(',').map((a) => a.trim());
    const bases = args.filter((a) => !/^\w+\s*=/.test(a)).map((a) => a.replace(/\[.*$/s, '').replace(/\s+/g, ''));
    classes.push({ name: m[2], bases, offset: m.index + m[1].length + m[0].slice(m[1].length).indexOf(m[2]) });
  }
  const roles = new Map<string, Role>();
  for (let changed = true; changed;) {
    changed = false;
    for (const c of classes) {
      if (roles.has(c.name)) continue;
      for (const b of c.bases) {
        const role = roleOf(imports.expand(b)) ?? (roles.has(b) ? roles.get(b) : undefined);
        if (role === 'torch-module' || role === 'keras-model') {
          roles.set(c.name, role);
          changed = true;
          break;
        }
      }
    }
  }

  const definitions: ModelDefinition[] = [];
  for (const c of classes) {
    const role = roles.get(c.name);
    if (!role) continue;
    definitions.push({ name: c.name, kind: role === 'torch-module' ? 'torch-module' : 'keras-subclass', ...lines.position(c.offset) });
  }
  for (const m of src.matchAll(ASSIGN)) {
    const role = roleOf(imports.expand(m[2]));
    if (role !== 'keras-sequential' && role !== 'keras-model') continue;
    const at = m.index + m[0].indexOf(m[1]);
    definitions.push({ name: m[1], kind: role === 'keras-sequential' ? 'keras-sequential' : 'keras-functional', ...lines.position(at) });
  }
  definitions.sort((a, b) => a.line - b.line || a.column - b.column);

  const exports: ModelExport[] = [];
  const add = (kind: ModelExport['kind'], path: string | undefined, offset: number) => {
    if (!path) return;
    exports.push({ kind, path: path.replace(/^file:\/\//, ''), modelFile: exportedModelFile(kind, path), line: lines.position(offset).line });
  };
  for (const m of src.matchAll(ONNX_EXPORT)) {
    const args = callArguments(src, m.index + m[0].length - 1);
    if (args) add('onnx', stringLiteral(argument(args, 2, 'f')), m.index);
  }
  for (const m of src.matchAll(SAVE_KERAS)) {
    const args = callArguments(src, m.index + m[0].length - 1);
    if (args) add('tfjs-keras', stringLiteral(argument(args, 1, 'artifacts_dir')), m.index);
  }
  for (const m of src.matchAll(SAVE)) {
    const args = callArguments(src, m.index + m[0].length - 1);
    const p = args ? stringLiteral(argument(args, 0, 'filepath')) : undefined;
    if (!p) continue;
    if (p.startsWith('file://')) add('tfjs-save', p, m.index);
    // Only saves the engine could load, or directories a converter may have filled: not .pt, .h5, .keras, .npy.
    else if (/\.onnx$/i.test(p) || !/\.\w+$/.test(p.replace(/[\\/]+$/, ''))) add('save', p, m.index);
  }
  exports.sort((a, b) => a.line - b.line);
  return { definitions, exports };
}
