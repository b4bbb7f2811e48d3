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

// One pass over the masked text finds everything the scanner reads: statements at the start of a line (an import,
// a class with a base list, an assignment from a call) and export calls anywhere. Groups: 1 indentation, 2 import
// statement, 3 class name, 4 assigned name, 5 callee, 6 onnx.export | save_keras_model, 7 .save.
const PASS = /^([ \t]*)(?:((?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+[^\n]*)|class[ \t]+([A-Za-z_]\w*)[ \t]*\(|([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*([A-Za-z_][\w.]*)[ \t]*\()|\b(onnx\.export|save_keras_model)[ \t]*\(|(\.save)[ \t]*\(/gm;
/** An assignment's callee that is itself an export call (`r = torch.onnx.export(…)`): the pass consumed it. */
const EXPORT_CALLEE = /(?:(?:^|\.)(onnx\.export|save_keras_model)|(\.save))$/;

const lineEndOf = (text: string, from: number) => {
  const nl = text.indexOf('\n', from);
  return nl === -1 ? text.length : nl;
};

export function scanPython(text: string): SourceScan {
  const src = maskPython(text);
  const lines = new LineIndex(src);
  const imports = new Imports();
  const classMatches: RegExpExecArray[] = [];
  const assigns: RegExpExecArray[] = [];
  // Export calls by kind, each with the offset of its "(": ONNX, then Keras-to-TF.js, then .save (the order the
  // exports of one line are listed in).
  const calls: [number[], number[], number[]] = [[], [], []];
  const call = (name: string | undefined, save: string | undefined, open: number) => {
    if (name) calls[name === 'save_keras_model' ? 1 : 0].push(open);
    else if (save) calls[2].push(open);
  };

  PASS.lastIndex = 0;
  for (let m; (m = PASS.exec(src));) {
    const open = m.index + m[0].length - 1;
    if (m[2] !== undefined) {
      let statement = m[2];
      // from x import (a,\n b): join the parenthesised continuation.
      if (/import\s*\(/.test(statement) && !statement.includes(')')) {
        const close = src.indexOf(')', m.index + m[0].length);
        if (close !== -1 && close - m.index < 4000) statement = src.slice(m.index, close + 1).trim().replace(/\s+/g, ' ');
      }
      imports.add(statement.trim());
    } else if (m[3] !== undefined) classMatches.push(m);
    else if (m[4] !== undefined) {
      assigns.push(m);
      const e = EXPORT_CALLEE.exec(m[5]);
      if (e) call(e[1], e[2], open);
    } else call(m[6], m[7], open);
  }
  // Resolved import aliases, per scan: the same few bases recur on every class.
  const roleCache = new Map<string, Role | undefined>();
  const role = (dotted: string) => {
    if (!roleCache.has(dotted)) roleCache.set(dotted, roleOf(imports.expand(dotted)));
    return roleCache.get(dotted);
  };

  // Classes and their bases; a class is a model when a base is a framework model or an in-file model class.
  const classes: { name: string; bases: string[]; offset: number }[] = [];
  for (const m of classMatches) {
    const open = m.index + m[0].length - 1;
    // An unclosed base list (code being typed) still counts, up to the end of its line.
    const args = callArguments(src, open) ?? src.slice(open + 1, lineEndOf(src, open)).split(',').map((a) => a.trim());
    const bases = args.filter((a) => !/^\w+\s*=/.test(a)).map((a) => a.replace(/\[.*$/s, '').replace(/\s+/g, ''));
    classes.push({ name: m[3], bases, offset: m.index + m[1].length + m[0].slice(m[1].length).indexOf(m[3]) });
  }
  const roles = new Map<string, Role>();
  for (let changed = true; changed;) {
    changed = false;
    for (const c of classes) {
      if (roles.has(c.name)) continue;
      for (const b of c.bases) {
        const r = role(b) ?? (roles.has(b) ? roles.get(b) : undefined);
        if (r === 'torch-module' || r === 'keras-model') {
          roles.set(c.name, r);
          changed = true;
          break;
        }
      }
    }
  }

  const definitions: ModelDefinition[] = [];
  for (const c of classes) {
    const r = roles.get(c.name);
    if (!r) continue;
    definitions.push({ name: c.name, kind: r === 'torch-module' ? 'torch-module' : 'keras-subclass', ...lines.position(c.offset) });
  }
  for (const m of assigns) {
    const r = role(m[5]);
    if (r !== 'keras-sequential' && r !== 'keras-model') continue;
    const at = m.index + m[1].length;
    definitions.push({ name: m[4], kind: r === 'keras-sequential' ? 'keras-sequential' : 'keras-functional', ...lines.position(at) });
  }
  definitions.sort((a, b) => a.line - b.line || a.column - b.column);

  const exports: ModelExport[] = [];
  const add = (kind: ModelExport['kind'], path: string | undefined, offset: number) => {
    if (!path) return;
    exports.push({ kind, path: path.replace(/^file:\/\//, ''), modelFile: exportedModelFile(kind, path), line: lines.position(offset).line });
  };
  for (const open of calls[0]) {
    const args = callArguments(src, open);
    if (args) add('onnx', stringLiteral(argument(args, 2, 'f')), open);
  }
  for (const open of calls[1]) {
    const args = callArguments(src, open);
    if (args) add('tfjs-keras', stringLiteral(argument(args, 1, 'artifacts_dir')), open);
  }
  for (const open of calls[2]) {
    const args = callArguments(src, open);
    const p = args ? stringLiteral(argument(args, 0, 'filepath')) : undefined;
    if (!p) continue;
    if (p.startsWith('file://')) add('tfjs-save', p, open);
    // Only saves the engine could load, or directories a converter may have filled: not .pt, .h5, .keras, .npy.
    else if (/\.onnx$/i.test(p) || !/\.\w+$/.test(p.replace(/[\\/]+$/, ''))) add('save', p, open);
  }
  exports.sort((a, b) => a.line - b.line);
  return { definitions, exports };
}
