// Finds TF.js model definitions (`tf.sequential(...)`, `tf.model({inputs, outputs})`) and `model.save('file://dir')`
// exports in JavaScript/TypeScript, with comments blanked. `tf` is whatever name @tensorflow/tfjs* is imported as;
// named imports (`import { sequential } from '@tensorflow/tfjs'`) count too.
import { type ModelDefinition, type ModelExport, type SourceScan, exportedModelFile } from './modelDefinition';
import { callArguments, LineIndex, maskScript, stringLiteral } from './sourceText';

const TFJS_MODULE = String.raw`['"]@tensorflow\/tfjs[\w-]*['"]`;
const NAMESPACE_IMPORT = new RegExp(String.raw`import\s+(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)\s+from\s+${TFJS_MODULE}`, 'g');
const REQUIRE = new RegExp(String.raw`(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*require\(\s*${TFJS_MODULE}\s*\)`, 'g');
const NAMED_IMPORT = new RegExp(String.raw`import\s*(?:type\s*)?\{([^}]*)\}\s*from\s+${TFJS_MODULE}`, 'g');
const ASSIGN = /(?:\b(?:const|let|var)[ \t]+|^[ \t]*)([A-Za-z_$][\w$]*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:await[ \t]+)?(?:([A-Za-z_$][\w$]*)\.)?([A-Za-z_$][\w$]*)[ \t]*\(/gm;
const SAVE = /\.save[ \t]*\(/g;

export function scanScript(text: string): SourceScan {
  const src = maskScript(text);
  const lines = new LineIndex(src);

  const namespaces = new Set(['tf']);
  for (const m of src.matchAll(NAMESPACE_IMPORT)) namespaces.add(m[1]);
  for (const m of src.matchAll(REQUIRE)) namespaces.add(m[1]);
  // Named imports: local name → 'sequential' | 'model'.
  const named = new Map<string, string>();
  for (const m of src.matchAll(NAMED_IMPORT)) {
    for (const part of m[1].split(',')) {
      const p = /^\s*(sequential|model)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*$/.exec(part);
      if (p) named.set(p[2] ?? p[1], p[1]);
    }
  }

  const definitions: ModelDefinition[] = [];
  for (const m of src.matchAll(ASSIGN)) {
    const fn = m[2] ? (namespaces.has(m[2]) ? m[3] : undefined) : named.get(m[3]);
    if (fn !== 'sequential' && fn !== 'model') continue;
    const at = m.index + m[0].indexOf(m[1]);
    definitions.push({ name: m[1], kind: fn === 'sequential' ? 'tfjs-sequential' : 'tfjs-model', ...lines.position(at) });
  }

  const exports: ModelExport[] = [];
  for (const m of src.matchAll(SAVE)) {
    const args = callArguments(src, m.index + m[0].length - 1);
    const p = stringLiteral(args?.[0]);
    if (p?.startsWith('file://'))
      exports.push({ kind: 'tfjs-save', path: p.slice('file://'.length), modelFile: exportedModelFile('tfjs-save', p), line: lines.position(m.index).line });
  }
  return { definitions, exports };
}
