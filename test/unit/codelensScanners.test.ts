// The CodeLens source scanners on their own (no VS Code): comment/docstring masking keeps every offset, half-typed
// code still yields definitions, and the single pass finds imports, classes, assignments and exports together.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanPython } from '../../src/extension/codelens/pythonModelScanner';
import { scanScript } from '../../src/extension/codelens/scriptModelScanner';
import { maskPython, maskScript } from '../../src/extension/codelens/sourceText';

describe('source masking', () => {
  it('blanks Python comments and docstrings, keeps strings, lines and columns', () => {
    const src = 'a = "x # not a comment"  # comment (\n"""doc\nclass F(nn.Module):\n"""\nb = \'\'\'q\'\'\'\n';
    const m = maskPython(src);
    assert.equal(m.length, src.length);
    assert.deepEqual(m.split('\n').map((l) => l.length), src.split('\n').map((l) => l.length));
    assert.equal(m.split('\n')[0].trimEnd(), 'a = "x # not a comment"');
    assert.equal(m.split('\n')[2].trim(), '', 'docstring body not blanked');
    assert.equal(m.split('\n')[4].trim(), 'b =', 'triple-quoted string not blanked');
  });

  it('treats escapes and unterminated tokens like Python does, without failing', () => {
    // An escaped quote does not end a string; an escaped triple quote does not end a docstring.
    assert.equal(maskPython('s = "a\\"#b" # c'), 's = "a\\"#b"    ');
    assert.equal(maskPython('"""a\\"""b""" x'), '             x');
    // Unterminated: a one-line string ends at its line, a docstring at the end of the text.
    assert.equal(maskPython('s = "abc\n# c\n'), 's = "abc\n   \n');
    assert.equal(maskPython('x\n"""never closed\nclass A(nn.Module):'), 'x\n               \n                   ');
    assert.equal(maskPython('"""a\\'), '     ');
  });

  it('blanks JavaScript comments but not strings or template literals', () => {
    const src = "const a = '// no'; // yes\n/* block\n tf.sequential( */ const t = `x\n/* kept */`;";
    const m = maskScript(src);
    assert.equal(m.length, src.length);
    assert.ok(m.includes("'// no'") && m.includes('/* kept */') && !m.includes('yes') && !m.includes('tf.sequential'));
    assert.equal(maskScript('a /* open'), 'a        ');
  });

  it('stays linear on a pathological file (one unterminated docstring, many lone quotes)', () => {
    const big = `"""${'a"b\'c\\'.repeat(200_000)}`;
    const t0 = performance.now();
    assert.equal(maskPython(big).trim(), '');
    // Generous bound: a backtracking pattern would take seconds to minutes here.
    assert.ok(performance.now() - t0 < 5000, `took ${performance.now() - t0} ms`);
  });
});

describe('scanPython', () => {
  const src = [
    'import torch.nn as tnn',
    'from tensorflow import keras',
    'from keras import (Model as KM,',
    '    Sequential)',
    'class Net(tnn.Module):  # a model',
    '    """class Fake(tnn.Module): inside a docstring"""',
    'class Wide(Net):',
    'class Plain(object):',
    '# class Commented(tnn.Module):',
    'seq = Sequential([keras.layers.Dense(2)])',
    'fn: KM = KM(inputs, outputs)',
    'class Typing(KM',
    'r = torch.onnx.export(Net(), x, "out/net.onnx")',
    'seq.save("file://out/seq")',
    'tfjs.converters.save_keras_model(fn, "out/fn")',
    'seq.save("weights.h5")',
  ].join('\n');

  it('finds model classes (aliases, in-file subclasses, half-typed) and model assignments', () => {
    const { definitions } = scanPython(src);
    assert.deepEqual(definitions.map((d) => `${d.line}:${d.column} ${d.name} ${d.kind}`), [
      '4:6 Net torch-module', '6:6 Wide torch-module', '9:0 seq keras-sequential', '10:0 fn keras-functional', '11:6 Typing keras-subclass',
    ]);
  });

  it('finds the exports, including one whose result is assigned', () => {
    const { exports } = scanPython(src);
    assert.deepEqual(exports.map((e) => `${e.line} ${e.kind} ${e.modelFile}`), [
      '12 onnx out/net.onnx', '13 tfjs-save out/seq/model.json', '14 tfjs-keras out/fn/model.json',
    ]);
  });
});

describe('scanScript', () => {
  it('finds tf.sequential / tf.model under any import name, not in comments', () => {
    const src = "import * as tfx from '@tensorflow/tfjs-node';\nconst a = tfx.sequential();\n// const b = tfx.sequential();\nlet c = await tfx.model({ inputs, outputs });\nawait a.save('file://out/a');\n";
    const r = scanScript(src);
    assert.deepEqual(r.definitions.map((d) => `${d.line} ${d.name} ${d.kind}`), ['1 a tfjs-sequential', '3 c tfjs-model']);
    assert.deepEqual(r.exports.map((e) => `${e.line} ${e.modelFile}`), ['4 out/a/model.json']);
  });
});
