// Models in the workspace, in the real extension host: the manifest (test/fixtures/workspace/cnn-lens.json) and
// its schema, discovery, the Models view's rows with details loaded by the real engine, diagnostics, "last used"
// ordering, and adding a discovered model to the manifest.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { acceptingDefaults, fixture, ManifestGuard, manifestUri, snapshot, type SnapshotRow, until } from './modelsHelpers';
import { EXTENSION_ID } from './extensionUnderTest';

const TINY = 'Tiny shapes';
const MOBILENET = 'MobileNet v1 0.25';
const DISCOVERED = 'discovered:exports/web_model/model.json';

const byId = (rows: SnapshotRow[], id: string) => {
  const row = rows.find((r) => r.id === id);
  assert.ok(row, `no model ${id} in ${rows.map((r) => r.id).join(', ')}`);
  return row;
};

describe('CNN Lens models in the workspace', function () {
  this.timeout(60_000);
  let guard: ManifestGuard;

  before(async () => {
    guard = new ManifestGuard();
    // A contributed command activates the extension (activation events are implicit for commands).
    await vscode.commands.executeCommand('cnnLens.models.refresh');
  });

  after(async () => {
    await guard.restore();
  });

  it('contributes the view, the manifest schema, its commands and settings', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const c = pkg.contributes;
    assert.ok(c.viewsContainers.activitybar.some((v: { id: string; title: string }) => v.id === 'cnnLens' && v.title === 'CNN Lens'));
    assert.deepEqual(c.views.cnnLens.map((v: { id: string }) => v.id), ['cnnLens.models']);
    const validation = c.jsonValidation.find((j: { fileMatch: string[] }) => j.fileMatch.includes('cnn-lens.json'));
    assert.ok(validation, 'no jsonValidation for cnn-lens.json');
    const schema = JSON.parse(fs.readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, validation.url), 'utf8'));
    assert.deepEqual(schema.required, ['models']);
    assert.deepEqual(schema.definitions.model.required, ['name', 'path']);
    const commands: { command: string; category: string; icon?: string }[] = c.commands;
    for (const id of ['cnnLens.models.refresh', 'cnnLens.models.openManifest', 'cnnLens.models.addToManifest', 'cnnLens.linkModel', 'cnnLens.probeConcepts', 'cnnLens.similarityOverlay']) {
      const command = commands.find((x) => x.command === id);
      assert.ok(command, `${id} not contributed`);
      assert.equal(command.category, 'CNN Lens');
    }
    // Every command in the view's menus has a codicon.
    for (const m of [...c.menus['view/title'], ...c.menus['view/item/context']])
      assert.match(commands.find((x) => x.command === m.command)?.icon ?? '', /^\$\([\w-]+\)$/, `${m.command} has no codicon`);
    for (const key of ['cnnLens.codeLens.enabled', 'cnnLens.models.discover'])
      assert.ok(c.configuration.properties[key]?.description, `${key} undocumented`);
  });

  it('registers the manifest models with their ModelSpec, and discovers the other model files', async () => {
    const { models } = await snapshot({ discover: true });
    const tiny = byId(models, TINY);
    assert.equal(tiny.origin, 'manifest');
    assert.equal(tiny.format, 'tfjs-layers');
    assert.equal(tiny.spec.path, fixture('models', 'tiny', 'model.json').fsPath);
    assert.equal(tiny.spec.labels, fixture('models', 'tiny', 'labels.json').fsPath);
    assert.deepEqual(tiny.spec.preprocessing, { height: 16, width: 16, channels: 'rgb', inputRange: [0, 1] });
    assert.equal(tiny.source?.path, fixture('src', 'tiny_net.py').fsPath);
    assert.equal(tiny.contextValue, 'cnnLens.model.manifest.linked');

    const mobilenet = byId(models, MOBILENET);
    assert.equal(mobilenet.spec.path, path.resolve(fixture().fsPath, '../../../../shared/models/mobilenet_v1_025/model.json'));
    assert.ok(fs.existsSync(mobilenet.spec.path), mobilenet.spec.path);
    assert.equal(mobilenet.spec.outputLayer, 'conv_preds');
    assert.equal(mobilenet.format, 'tfjs-layers', 'format sniffed from the file when the manifest omits it');

    const found = byId(models, DISCOVERED);
    assert.equal(found.origin, 'discovered');
    assert.equal(found.name, 'web_model');
    assert.equal(found.contextValue, 'cnnLens.model.discovered');
    assert.deepEqual(found.spec, { path: fixture('exports', 'web_model', 'model.json').fsPath });
    // The manifest's model.json is listed once, as the manifest model; no package.json-like files.
    assert.equal(models.filter((m) => m.path === tiny.path).length, 1);
    assert.equal(models.length, 3, models.map((m) => m.id).join(', '));
  });

  it('loads input size and classes only when a model is expanded, through the engine', async () => {
    const before = await snapshot();
    assert.doesNotMatch(String(byId(before.models, MOBILENET).description), /classes/, 'MobileNet details loaded without being expanded');
    assert.equal(byId(before.models, TINY).description, '16×16 · tfjs-layers', 'before loading: what the manifest says');

    const expanded = await snapshot({ expand: [TINY] });
    const rows = byId(expanded.models, TINY).children ?? [];
    const row = (label: string) => rows.find((r) => r.label === label)?.description;
    assert.equal(row('Input'), '16 × 16 × 3 (nhwc)');
    assert.equal(row('Classes'), '3: circle, square, triangle');
    assert.equal(row('Format'), 'tfjs-layers');
    assert.match(String(row('Layers')), /127 parameters; scores from logits$/);
    assert.equal(row('Grad-CAM layer'), 'conv');
    assert.equal(row('Defined in'), 'src/tiny_net.py › TinyNet');
    assert.equal(byId(expanded.models, TINY).description, '16×16×3 · 3 classes · tfjs-layers');
    assert.doesNotMatch(String(byId(expanded.models, MOBILENET).description), /classes/);
  });

  it('reports an unloadable model in its row instead of failing', async () => {
    const broken = fixture('exports', 'broken');
    fs.mkdirSync(broken.fsPath, { recursive: true });
    try {
      // A TF.js model.json whose weights file is missing.
      const json = JSON.parse(fs.readFileSync(fixture('exports', 'web_model', 'model.json').fsPath, 'utf8'));
      json.weightsManifest[0].paths = ['missing.bin'];
      fs.writeFileSync(path.join(broken.fsPath, 'model.json'), JSON.stringify(json));
      await vscode.commands.executeCommand('cnnLens.models.refresh');
      const snap = await snapshot({ expand: ['discovered:exports/broken/model.json'] });
      const rows = byId(snap.models, 'discovered:exports/broken/model.json').children ?? [];
      const failed = rows.find((r) => r.label === 'Could not load the model');
      assert.ok(failed, JSON.stringify(rows));
      assert.match(String(failed.description), /missing\.bin/);
    } finally {
      fs.rmSync(broken.fsPath, { recursive: true, force: true });
      await vscode.commands.executeCommand('cnnLens.models.refresh');
    }
  });

  it('lists the model used last first', async () => {
    const first = (await snapshot()).models[0].id;
    const other = first === MOBILENET ? TINY : MOBILENET;
    assert.equal((await snapshot({ markUsed: other })).models[0].id, other);
    assert.equal((await snapshot({ markUsed: DISCOVERED })).models[0].id, DISCOVERED);
    assert.equal((await snapshot()).models[1].id, other);
  });

  it('turns invalid manifest entries into diagnostics while the manifest is edited, without dropping valid ones', async () => {
    const doc = await vscode.workspace.openTextDocument(manifestUri());
    await vscode.window.showTextDocument(doc);
    const at = doc.positionAt(doc.getText().indexOf('"models": [') + '"models": ['.length);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, at, '\n    { "name": "Tiny shapes", "path": "weights.pt" },\n    { "name": "Ghost", "path": "nowhere/model.json", "preprocessing": { "inputRange": [0, 1], "mean": [0, 0, 0] } },\n    { "name": "Later", "path": "later/model.json" },');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const diagnostics = await until('manifest diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'CNN Lens');
      return d.length >= 3 ? d : undefined;
    });
    const messages = diagnostics.map((d) => `${d.severity}:${d.message}`);
    assert.ok(messages.some((m) => /^0:.*must name a TF\.js model\.json or an \.onnx file/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /^0:.*either inputRange or mean\/std, not both/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /^1:No model file at .*later/.test(m)), messages.join('\n'));
    // The diagnostic sits on the offending value.
    const bad = diagnostics.find((d) => d.message.includes('must name'))!;
    assert.equal(doc.getText(bad.range), '"weights.pt"');

    const { models } = await snapshot();
    assert.ok(models.some((m) => m.id === TINY) && models.some((m) => m.id === MOBILENET), 'valid entries still registered');
    assert.ok(models.some((m) => m.id === 'Later'), 'an entry whose file does not exist yet is kept (with a warning)');
    assert.ok(!models.some((m) => m.id === 'Ghost'), 'an invalid entry is left out');

    await guard.restore();
    await until('diagnostics cleared', () => vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'CNN Lens').length === 0);
  });

  it('adds a discovered model to the manifest, asking only the pixel scaling and labels', async () => {
    const result = await acceptingDefaults(vscode.commands.executeCommand<{ modelId: string }>('cnnLens.models.addToManifest', { modelId: DISCOVERED }));
    assert.deepEqual(result, { modelId: 'web_model' });
    const text = fs.readFileSync(manifestUri().fsPath, 'utf8');
    const manifest = JSON.parse(text);
    const added = manifest.models.at(-1);
    // Defaults accepted: no labels file, [0, 1] scaling; the input size is in the model.json, so not asked.
    assert.deepEqual(added, { name: 'web_model', path: 'exports/web_model/model.json', format: 'tfjs-layers', preprocessing: { inputRange: [0, 1] } });
    assert.ok(text.startsWith(guard.text.slice(0, guard.text.indexOf('"models"'))), 'the rest of the manifest kept its formatting');
    const { models } = await snapshot({ discover: true });
    assert.equal(byId(models, 'web_model').origin, 'manifest');
    assert.ok(!models.some((m) => m.id === DISCOVERED), 'no longer listed as discovered');
    await guard.restore();
  });

  it('registers the concept-probing command the models view and CodeLens call', async () => {
    const all = await vscode.commands.getCommands(true);
    assert.ok(all.includes('cnnLens.probeConcepts'));
  });
});
