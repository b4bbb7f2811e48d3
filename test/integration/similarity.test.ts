// "Similarity Overlay with This Model…" in a real VS Code extension host with the real engine worker: contributions,
// the engine's `similarity` request through the extension's client, and a session through the command API that
// opens the Similarity panel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { IMAGE_WHEN_REGEX } from '../../src/extension/explain/imageFormats';
import type { SimilaritySession } from '../../src/extension/similarity/similarityPanel';
import { assertInPalette, extension } from './extensionUnderTest';

const COMMAND = 'cnnLens.similarityOverlay';

const shared = (...p: string[]) => path.resolve(extension().extensionPath, '..', 'shared', ...p);
const MOBILENET = () => shared('models', 'mobilenet_v1_025', 'model.json');
const similarityTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs)
  .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('cnnLens.similarity'));

describe('Similarity Overlay with This Model…', function () {
  this.timeout(180_000);

  it('is contributed to the palette and to the explorer menu of image files, and restores its panel', () => {
    const pkg = extension().packageJSON;
    assertInPalette(COMMAND, 'Similarity Overlay with This Model…');
    const menu = pkg.contributes.menus['explorer/context'].find((m: { command: string }) => m.command === COMMAND);
    assert.ok(menu?.when.includes(`resourceExtname =~ ${IMAGE_WHEN_REGEX}`), menu?.when);
    assert.ok(menu?.when.includes('!explorerResourceIsFolder'), menu?.when);
    assert.ok((pkg.activationEvents as string[]).includes('onWebviewPanel:cnnLens.similarity'));
  });

  it('computes normalised cell vectors in the engine worker', async function () {
    if (!fs.existsSync(MOBILENET())) this.skip();
    await extension().activate();
    const images = ['robin.jpg', 'dog.jpg'].map((f) => ({ kind: 'file' as const, path: shared('images', f) }));
    const steps: number[] = [];
    const r = await extension().exports.engineClient.request({ type: 'similarity', model: { path: MOBILENET() }, images }, { onProgress: (p) => steps.push(p.step) });
    assert.deepEqual(r.layers.map((l) => [l.name, l.rows, l.cols, l.channels]), [['conv_pw_11_relu', 14, 14, 128]]);
    assert.ok(r.layers[0].vectors instanceof Float32Array, 'binary, not JSON');
    assert.equal(r.layers[0].vectors.length, 2 * 14 * 14 * 128);
    assert.equal(steps.at(-1), 2);
    // Every live cell's vector has norm ‖F‖/(‖F‖+1e−4) ≈ 1.
    const v = r.layers[0].vectors;
    let live = 0;
    for (let k = 0; k < 2 * 14 * 14; k++) {
      let s = 0;
      for (let c = 0; c < 128; c++) s += v[k * 128 + c] ** 2;
      if (s > 0) { live++; assert.ok(Math.abs(Math.sqrt(s) - 1) < 1e-3, `cell ${k}: norm ${Math.sqrt(s)}`); }
    }
    assert.ok(live > 300, `${live} live cells`);
    assert.equal(r.images[0].rgb.length, 224 * 224 * 3);
  });

  it('opens the Similarity panel on several images through the command API', async function () {
    if (!fs.existsSync(MOBILENET())) this.skip();
    const imageUris = ['robin.jpg', 'cat.png', 'elephant.jpg'].map((f) => vscode.Uri.file(shared('images', f)));
    const session = await vscode.commands.executeCommand<SimilaritySession | undefined>(COMMAND, {
      modelPath: MOBILENET(), imageUris, layers: ['conv_pw_5_relu', 'conv_pw_11_relu'],
    });
    assert.ok(session, `no session; notifications: ${JSON.stringify(extension().exports.notifications())}`);
    // The fixture manifest registers this file, so the panel uses the manifest's name (and its preprocessing).
    assert.equal(session.model, 'MobileNet v1 0.25');
    assert.deepEqual(session.layers.map((l) => `${l.name} ${l.rows}×${l.cols}×${l.channels} ${l.nonNegative}`),
      ['conv_pw_5_relu 28×28×64 true', 'conv_pw_11_relu 14×14×128 true']);
    assert.deepEqual(session.images, imageUris.map((u) => u.fsPath));
    assert.ok(session.elapsedMs > 0 && session.elapsedMs < 60_000, `${session.elapsedMs} ms`);
    const tabs = similarityTabs();
    assert.equal(tabs.length, 1, `tabs: ${tabs.map((t) => t.label)}`);
    assert.equal(tabs[0].label, 'Similarity: MobileNet v1 0.25');
    const sessions = await vscode.commands.executeCommand<(SimilaritySession & { rejectedMessages: number })[]>('cnnLens.similarity.sessions');
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].rejectedMessages, 0);
  });

  it('refuses a non-image file and a bad layer with a clear notification', async function () {
    if (!fs.existsSync(MOBILENET())) this.skip();
    const before = extension().exports.notifications().length;
    const r1 = await vscode.commands.executeCommand(COMMAND, { modelPath: MOBILENET(), imageUris: [vscode.Uri.file(shared('images', 'README.md'))], layers: ['conv_pw_5_relu'] });
    assert.equal(r1, undefined);
    const r2 = await vscode.commands.executeCommand(COMMAND, { modelPath: MOBILENET(), imageUris: [vscode.Uri.file(shared('images', 'cat.png'))], layers: ['conv_preds'] });
    assert.equal(r2, undefined);
    const shown = extension().exports.notifications().slice(before).map((n) => n.message);
    assert.ok(shown.some((m) => /README\.md is not an image file/.test(m)), shown.join('\n'));
    assert.ok(shown.some((m) => /conv_preds.*not a spatial/.test(m)), shown.join('\n'));
    for (const t of similarityTabs()) await vscode.window.tabGroups.close(t);
  });
});
