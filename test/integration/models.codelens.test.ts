// CodeLens on model definitions in the real extension host, on the fixture's PyTorch, Keras and TF.js files and a
// TF.js model.json: titles, commands and arguments, live updates while editing, the setting, and the link flow.
// (Named models.codelens so that it runs after extension.test.ts, which needs a not-yet-active extension.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { acceptingDefaults, fixture, ManifestGuard, manifestUri, until } from './modelsHelpers';

const ANALYSES = ['Explain image…', 'Probe concepts…', 'Similarity overlay…'];
const LINK = 'Link exported model…';
const SETTING = 'cnnLens.codeLens.enabled';

interface LensSummary { line: number; title: string; command: string; args: unknown[] }

async function lenses(uri: vscode.Uri): Promise<LensSummary[]> {
  await vscode.workspace.openTextDocument(uri);
  const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
  return (found ?? [])
    .filter((l) => l.command && /^cnnLens\./.test(l.command.command))
    .map((l) => ({ line: l.range.start.line, title: l.command!.title, command: l.command!.command, args: l.command!.arguments ?? [] }));
}

/** Lens titles on the line that defines `name` (found in the document text). */
async function titlesAt(doc: vscode.TextDocument, pattern: RegExp): Promise<string[]> {
  const line = doc.getText().split('\n').findIndex((l) => pattern.test(l));
  assert.ok(line >= 0, `${pattern} not in ${doc.uri.fsPath}`);
  return (await lenses(doc.uri)).filter((l) => l.line === line).map((l) => l.title);
}

/** `p`, or an error naming `what` if it has not settled within `ms` (so a stall says where it happened). */
function step<T>(what: string, p: Thenable<T>, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`"${what}" did not finish within ${ms} ms`)), ms); });
  return Promise.race([Promise.resolve(p), late]).finally(() => clearTimeout(timer));
}

async function setLensSetting(value: boolean | undefined) {
  await vscode.workspace.getConfiguration().update(SETTING, value, vscode.ConfigurationTarget.Global);
  await until(`${SETTING} = ${value}`, () => vscode.workspace.getConfiguration().inspect(SETTING)?.globalValue === value);
}

describe('CNN Lens CodeLens on model definitions', function () {
  this.timeout(60_000);
  let guard: ManifestGuard;

  before(async () => {
    guard = new ManifestGuard();
    await vscode.commands.executeCommand('cnnLens.models.refresh');
  });

  after(async () => {
    await setLensSetting(undefined);
    await guard.restore();
  });

  it('PyTorch: a linked nn.Module gets the analyses, an unlinked subclass gets "Link exported model…"', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture('src', 'tiny_net.py'));
    const all = await lenses(doc.uri);
    assert.deepEqual(await titlesAt(doc, /^class TinyNet\(/), ANALYSES);
    assert.deepEqual(await titlesAt(doc, /^class WiderNet\(TinyNet\)/), [LINK]);
    // Not models: a plain class, a commented-out one, the class name inside the docstring.
    assert.equal(all.length, ANALYSES.length + 1, JSON.stringify(all));
    const explain = all.find((l) => l.title === ANALYSES[0])!;
    assert.equal(explain.command, 'cnnLens.explainImage');
    assert.deepEqual(explain.args, [{ modelId: 'Tiny shapes', modelPath: fixture('models', 'tiny', 'model.json').fsPath }]);
    assert.deepEqual(all.filter((l) => l.title !== LINK).map((l) => l.command), ['cnnLens.explainImage', 'cnnLens.probeConcepts', 'cnnLens.similarityOverlay']);
    const link = all.find((l) => l.title === LINK)!;
    assert.equal(link.command, 'cnnLens.linkModel');
    assert.equal((link.args[0] as { symbol: string }).symbol, 'WiderNet');
  });

  it('Keras: subclass, Sequential and functional definitions; the linked functional model gets the analyses', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture('src', 'keras_classifier.py'));
    assert.deepEqual(await titlesAt(doc, /^class ShapeClassifier\(keras\.Model\)/), [LINK]);
    assert.deepEqual(await titlesAt(doc, /^sequential = keras\.Sequential\(/), [LINK]);
    assert.deepEqual(await titlesAt(doc, /^mobilenet = tf\.keras\.Model\(/), ANALYSES);
    assert.equal((await lenses(doc.uri)).length, 5);
  });

  it('TF.js: tf.sequential and tf.model in JavaScript', async () => {
    const doc = await vscode.workspace.openTextDocument(fixture('src', 'tfjs_model.js'));
    assert.deepEqual(await titlesAt(doc, /sequentialModel = tf\.sequential\(/), [LINK]);
    assert.deepEqual(await titlesAt(doc, /functionalModel = tf\.model\(/), [LINK]);
    assert.equal((await lenses(doc.uri)).length, 2);
  });

  it('TF.js model.json: the first line offers the analyses (and "Add to manifest…" when it is not in it)', async () => {
    const registered = await lenses(fixture('models', 'tiny', 'model.json'));
    assert.deepEqual(registered.map((l) => `${l.line}:${l.title}`), ANALYSES.map((t) => `0:${t}`));
    assert.equal((registered[0].args[0] as { modelId: string }).modelId, 'Tiny shapes');
    const other = await lenses(fixture('exports', 'web_model', 'model.json'));
    assert.deepEqual(other.map((l) => l.title), [...ANALYSES, 'Add to manifest…']);
    assert.equal((other[0].args[0] as { modelPath: string }).modelPath, fixture('exports', 'web_model', 'model.json').fsPath);
    // A model.json that is not a TF.js model gets nothing.
    const notModel = await vscode.workspace.openTextDocument({ language: 'json', content: '{"name": "x"}' });
    assert.deepEqual(await lenses(notModel.uri), []);
  });

  it('updates as the file is edited, and survives syntax errors', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: 'import torch.nn as nn\n\nclass A(nn.Module):\n    pass\n' });
    assert.deepEqual((await lenses(doc.uri)).map((l) => `${l.line}:${l.title}`), [`2:${LINK}`]);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(4, 0), '\n\nclass B(A):\n    def broken(self:\n        return [\n\nclass C(nn.Module\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const after = (await lenses(doc.uri)).map((l) => `${l.line}:${(l.args[0] as { symbol: string }).symbol}`);
    assert.deepEqual(after, ['2:A', '6:B', '10:C']);
  });

  it('gives a 5,000-line Python file its lenses promptly', async () => {
    const parts = ['import torch\nfrom torch import nn\n'];
    for (let i = 0, lines = 3; lines < 5000; i++, lines += 11)
      parts.push(`\n\nclass Block${i}(nn.Module):\n    """Block ${i}."""\n\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(${i + 1}, 8, 3)  # (\n\n    def forward(self, x):\n        return self.conv(x)\n`);
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: parts.join('') });
    assert.ok(doc.lineCount >= 5000);
    const t0 = Date.now();
    const found = await lenses(doc.uri);
    const ms = Date.now() - t0;
    assert.equal(found.length, parts.length - 1);
    // The round trip through the workbench for ~450 lenses on a shared 2-core machine; the parse alone (the issue's
    // "well under 100 ms") is measured by bench/codelens.bench.ts. This bound only catches a pathological scanner.
    assert.ok(ms < 15_000, `${ms} ms`);
    console.log(`[mocha]       (5,000-line file: ${found.length} lenses in ${ms} ms, workbench round trip included)`);
  });

  it('the setting turns the lenses off and on', async () => {
    const uri = fixture('src', 'tiny_net.py');
    await setLensSetting(false);
    await until('no lenses', async () => (await lenses(uri)).length === 0);
    await setLensSetting(true);
    await until('lenses back', async () => (await lenses(uri)).length === 4);
  });

  it('"Link exported model…" proposes the file the source exports first and records the link in the manifest, undoably', async () => {
    // Every step is bounded and named, so a stall reports where it happened instead of the test's timeout.
    // Earlier suites (explain, similarity panels) may leave a quick input or a focused webview: start from a calm workbench,
    // since this test answers the link flow's questions by accepting whatever quick input is open.
    await step('close quick input', vscode.commands.executeCommand('workbench.action.closeQuickOpen'));
    await step('close editors', vscode.commands.executeCommand('workbench.action.closeAllEditors'));
    const source = fixture('src', 'keras_classifier.py');
    const doc = await step('open source', vscode.workspace.openTextDocument(source));
    const link = (await step('source lenses', lenses(source))).find((l) => l.title === LINK && (l.args[0] as { symbol: string }).symbol === 'sequential');
    assert.ok(link);
    // Enter on every question: the first proposal (exports/web_model, from save_keras_model), no labels, [0, 1].
    const result = await step('link command', acceptingDefaults(vscode.commands.executeCommand<{ modelId: string; added: boolean }>(link.command, ...link.args)), 30_000);
    assert.deepEqual(result && { modelId: result.modelId, added: result.added }, { modelId: 'sequential', added: true });
    const manifest = JSON.parse(fs.readFileSync(manifestUri().fsPath, 'utf8'));
    assert.deepEqual(manifest.models.at(-1), {
      name: 'sequential', path: 'exports/web_model/model.json', format: 'tfjs-layers', preprocessing: { inputRange: [0, 1] },
      source: { file: 'src/keras_classifier.py', symbol: 'sequential' },
    });
    await until('lens switched to the analyses', async () => {
      const titles = await step('lenses after linking', titlesAt(doc, /^sequential = keras\.Sequential\(/));
      return titles.join() === ANALYSES.join();
    });

    // Undo in the manifest editor takes the link back out.
    await step('show manifest', vscode.window.showTextDocument(await vscode.workspace.openTextDocument(manifestUri())));
    await step('undo', vscode.commands.executeCommand('undo'));
    const undone = vscode.window.activeTextEditor!.document;
    await until('undo applied', () => undone.getText() === guard.text);
    await step('save manifest', undone.save());
    await until('lens back to "Link exported model…"', async () => (await step('lenses after undo', titlesAt(doc, /^sequential = keras\.Sequential\(/))).join() === LINK);
  });
});
