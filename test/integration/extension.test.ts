// The CNN Lens extension in a real VS Code extension host, with the real engine worker (no stubs).
// Runs first (files are sorted), so the "not active yet" check sees a fresh extension host.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CnnLensApi } from '../../src/extension/api';
import type { EngineInfoReport } from '../../src/extension/commands/showEngineInfo';
import { extension } from './extensionUnderTest';

const BACKEND = 'cnnLens.engine.backend';
const MODEL_PATH = 'cnnLens.model.path';

function api(): CnnLensApi {
  const e = extension();
  assert.ok(e.isActive, 'extension not active');
  return e.exports;
}

/** Sets a user-level setting (the harness profile is thrown away) and waits until the extension host sees it. */
async function setSetting(key: string, value: unknown) {
  await vscode.workspace.getConfiguration().update(key, value, vscode.ConfigurationTarget.Global);
  const deadline = Date.now() + 5000;
  while (vscode.workspace.getConfiguration().inspect(key)?.globalValue !== value) {
    if (Date.now() > deadline) throw new Error(`setting ${key} did not become ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function showEngineInfo(): Promise<EngineInfoReport> {
  const report = await vscode.commands.executeCommand<EngineInfoReport | undefined>('cnnLens.showEngineInfo');
  assert.ok(report, `Show Engine Info returned nothing; notifications: ${JSON.stringify(api().notifications())}`);
  return report;
}

const hasLine = (re: RegExp) => api().outputLines().some((l) => re.test(l));

describe('CNN Lens extension', function () {
  this.timeout(120_000);

  after(async () => {
    await setSetting(BACKEND, undefined);
    await setSetting(MODEL_PATH, undefined);
  });

  it('is loaded but not active before one of its commands runs, and its bundle has no TensorFlow.js', () => {
    const e = extension();
    assert.equal(e.isActive, false);
    const events: string[] = e.packageJSON.activationEvents ?? [];
    assert.ok(!events.includes('*') && !events.includes('onStartupFinished'), `eager activation events: ${events}`);
    const bundle = fs.readFileSync(path.join(e.extensionPath, 'dist', 'extension.js'), 'utf8');
    assert.ok(bundle.length > 0);
    assert.doesNotMatch(bundle, /node_modules\/@tensorflow\//, 'dist/extension.js bundles TensorFlow.js');
  });

  it('contributes its commands in the CNN Lens category and documents every setting', () => {
    const pkg = extension().packageJSON;
    const commands: { command: string; title: string; category?: string }[] = pkg.contributes.commands;
    assert.ok(commands.some((c) => c.command === 'cnnLens.showEngineInfo'));
    for (const c of commands) assert.equal(c.category, 'CNN Lens', `${c.command} category`);
    const props: Record<string, { description?: string; markdownDescription?: string }> = pkg.contributes.configuration.properties;
    for (const key of [BACKEND, MODEL_PATH]) assert.ok(props[key], `${key} not contributed`);
    for (const [key, p] of Object.entries(props)) assert.ok(p.description || p.markdownDescription, `${key} has no description`);
  });

  it('Show Engine Info activates the extension and reports the wasm backend', async () => {
    const report = await showEngineInfo();
    assert.equal(extension().isActive, true);
    const b = report.backend;
    assert.equal(b.backend, 'wasm', `backend ${b.backend}: ${b.reason}`);
    assert.equal(b.requested, 'auto');
    assert.equal(b.simd, true, 'wasm SIMD is available in Node 24');
    assert.match(b.tfjsVersion, /^4\.22\./);
    assert.ok(b.memory.numTensors >= 0 && b.memory.numBytes >= 0);
    assert.ok(hasLine(/^\s*backend:\s+wasm\b/), `no backend line in:\n${api().outputLines().join('\n')}`);
    assert.ok(hasLine(/^\s*TF\.js:\s+4\.22\./));
  });

  it('reports a missing model clearly and still shows the backend', async () => {
    const missing = path.join(os.tmpdir(), 'cnn-lens-no-such-dir', 'model.json');
    await setSetting(MODEL_PATH, missing);
    const report = await showEngineInfo();
    assert.equal(report.backend.backend, 'wasm');
    assert.equal(report.model, null);
    assert.equal(report.modelError?.code, 'MODEL_NOT_FOUND');
    assert.ok(report.modelError?.message.includes(missing), report.modelError?.message);
    const shown = api().notifications().at(-1);
    assert.equal(shown?.severity, 'warning');
    assert.ok(shown?.message.includes(missing));
  });

  it('shows the bundled demo model when cnnLens.model.path is empty', async function () {
    await setSetting(MODEL_PATH, undefined);
    const demo = path.join(extension().extensionPath, 'media', 'demo-model', 'model.json');
    if (!fs.existsSync(demo)) this.skip(); // the demo model is built by another part of the project
    const report = await showEngineInfo();
    assert.equal(report.modelPath, demo);
    assert.ok(report.model, `no model info: ${JSON.stringify(report.modelError)}`);
    const m = report.model;
    assert.equal(m.inputShape.length, 3);
    assert.ok(m.inputShape.every((d) => Number.isInteger(d) && d > 0), `input shape ${m.inputShape}`);
    assert.ok(m.numClasses >= 2, `classes ${m.numClasses}`);
    assert.ok(m.layers.length > 0);
    assert.ok(hasLine(new RegExp(`^\\s*input:\\s+\\[${m.inputShape.join(', ')}\\]`)));
    assert.ok(hasLine(new RegExp(`^\\s*classes:\\s+${m.numClasses}\\b`)));
  });

  it('loads the model named by cnnLens.model.path (MobileNet v1 0.25 from ../shared)', async () => {
    const mobilenet = path.resolve(extension().extensionPath, '..', 'shared', 'models', 'mobilenet_v1_025', 'model.json');
    assert.ok(fs.existsSync(mobilenet), `${mobilenet} missing`);
    await setSetting(MODEL_PATH, mobilenet);
    const report = await showEngineInfo();
    assert.ok(report.model, `no model info: ${JSON.stringify(report.modelError)}`);
    const m = report.model;
    assert.deepEqual(m.inputShape, [224, 224, 3]);
    assert.equal(m.numClasses, 1000);
    assert.equal(m.format, 'tfjs-layers');
    // conv_pw_13_relu is [7, 7, 256] (shared/models/README.md); the engine may rename or fold other layers.
    assert.ok(m.layers.some((l) => l.outputShape.join() === '7,7,256'), 'no [7, 7, 256] layer');
    assert.ok(hasLine(/^\s*input:\s+\[224, 224, 3\]/));
    assert.ok(hasLine(/^\s*classes:\s+1000\b/));
    assert.ok(hasLine(new RegExp(`^\\s*score layer:\\s+${m.scoreLayer}$`)));
  });

  it('restarts the engine worker when cnnLens.engine.backend changes', async () => {
    const client = api().engineClient;
    const restarts = client.restarts;
    await setSetting(BACKEND, 'cpu');
    const report = await showEngineInfo();
    assert.equal(report.backend.backend, 'cpu');
    assert.equal(report.backend.requested, 'cpu');
    assert.equal(client.restarts, restarts + 1);
    await setSetting(BACKEND, undefined);
    const info = await client.backendInfo();
    assert.equal(info.backend, 'wasm');
    assert.equal(client.restarts, restarts + 2);
  });

  it('cancelling a request through a CancellationToken stops it and the engine keeps working', async () => {
    const client = api().engineClient;
    const cts = new vscode.CancellationTokenSource();
    const t0 = Date.now();
    const spinning = client.request({ type: 'selfTest', action: 'spin', ms: 60_000 }, { token: cts.token });
    setTimeout(() => cts.cancel(), 300);
    await assert.rejects(spinning, (e: { code?: string }) => e.code === 'CANCELLED');
    assert.ok(Date.now() - t0 < 10_000, `cancel took ${Date.now() - t0} ms`);
    const info = await client.request({ type: 'info' });
    assert.equal(info.backend, 'wasm');
  });
});
