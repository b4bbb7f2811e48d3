// The Explain feature's pure parts, run in the extension host with the rest of the suite (no UI needed): the panel
// protocol's validation, pixel compositing, the area–score points, and "Copy as CLI command" — which is checked by
// running the command it produces and comparing its output with the engine's own result.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cliCommand, quoteArg } from '../../src/extension/explain/cliCommand';
import { explanationJson } from '../../src/extension/explain/explainPanel';
import { encodeFloats } from '../../src/extension/explain/entryCodec';
import { isExplainableImage } from '../../src/extension/explain/imageFormats';
import { parseParam } from '../../src/extension/explain/methodCatalog';
import { colormapTable } from '../../src/webview/explain/colormaps';
import { isUnitMask, normalise, overlay, perturbed, quantile } from '../../src/webview/explain/compose';
import { validateFromPanel, validateState, validateToPanel, PANEL_STATE_VERSION, type ExplanationEntry } from '../../src/webview/explainPanelProtocol';

function entry(over: Partial<ExplanationEntry> = {}): ExplanationEntry {
  return {
    id: 'x1', imageName: 'a.png', imagePath: '/w/a.png', modelName: 'm', modelPath: '/m/model.json', method: 'gradient',
    target: 3, targetLabel: 'cat', predictions: [{ index: 3, label: 'cat', probability: 0.9 }], settings: {},
    scores: { original: 1.5 }, elapsedMs: 10, backend: 'wasm',
    image: { width: 2, height: 2, rgb: Buffer.alloc(12, 7).toString('base64') },
    maps: [{ name: 'gradient', width: 2, height: 2, data: encodeFloats([0, 1, 2, 3]) }], cli: 'node cli.js explain', ...over,
  };
}

describe('Explain panel logic', () => {
  it('validates messages from the webview and refuses anything else', () => {
    assert.deepEqual(validateFromPanel({ type: 'copyCli', id: 'x1' }), { type: 'copyCli', id: 'x1' });
    assert.deepEqual(validateFromPanel({ type: 'ready', extra: 1 }), { type: 'ready' });
    const png = 'iVBORw0KGgoAAAANSUhEUg==';
    assert.equal(validateFromPanel({ type: 'exportPng', id: 'x1', kind: 'mask', png }).type, 'exportPng');
    for (const bad of [null, 'ready', {}, { type: 'rm -rf' }, { type: 'copyCli' }, { type: 'copyCli', id: '../../etc' },
      { type: 'exportPng', id: 'x1', kind: 'svg', png }, { type: 'exportPng', id: 'x1', kind: 'mask', png: 'PHNjcmlwdD4=' }])
      assert.throws(() => validateFromPanel(bad), /invalid panel message/, JSON.stringify(bad));
  });

  it('validates results sent to the webview, including the size of every map', () => {
    assert.equal(validateToPanel({ type: 'result', entry: entry() }).type, 'result');
    const short = entry({ maps: [{ name: 'g', width: 2, height: 2, data: encodeFloats([0, 1, 2]) }] });
    assert.throws(() => validateToPanel({ type: 'result', entry: short }), /2×2 float32/);
    assert.throws(() => validateToPanel({ type: 'result', entry: entry({ target: -1 }) }), /target/);
    assert.throws(() => validateToPanel({ type: 'started', entry: { id: 'x2', imageName: 'a', modelName: 'm', method: 'rise', targetLabel: 'c', imageSrc: 'https://evil/x.png' } }), /data:image/);
    assert.equal(validateToPanel({ type: 'progress', update: { id: 'x2', step: 1, total: 5, terms: { loss: 0.5 } } }).type, 'progress');
  });

  it('restores only a well-formed state of the current version', () => {
    const s = { version: PANEL_STATE_VERSION, imagePath: '/w/a.png', entries: [entry()], views: { x1: { opacity: 0.3 } } };
    assert.deepEqual(validateState(s)?.entries.map((e) => e.id), ['x1']);
    assert.equal(validateState({ ...s, version: PANEL_STATE_VERSION + 1 }), null);
    assert.equal(validateState({ ...s, entries: [{ id: 'x1' }] }), null);
    assert.equal(validateState(undefined), null);
  });

  it('composites overlays and perturbation views pixel by pixel', () => {
    const v = normalise(Float32Array.from([2, 4, 6, NaN]));
    assert.deepEqual(Array.from(v), [0, 0.5, 1, 0]);
    assert.ok(isUnitMask(Float32Array.from([0, 0.2, 1])) && !isUnitMask(Float32Array.from([0, 1.2])));
    const img = new Uint8ClampedArray([100, 100, 100, 255, 100, 100, 100, 255]);
    const blur = new Uint8ClampedArray([0, 0, 0, 255, 0, 0, 0, 255]);
    const mask = Float32Array.from([1, 0.25]);
    assert.deepEqual(Array.from(perturbed(img, blur, mask, 'preserve')), [100, 100, 100, 255, 25, 25, 25, 255]);
    assert.deepEqual(Array.from(perturbed(img, blur, mask, 'delete')), [0, 0, 0, 255, 75, 75, 75, 255]);
    // Blend: zero opacity leaves the picture; full opacity at v = 1 is the colour map's top colour.
    assert.deepEqual(Array.from(overlay(img, Float32Array.from([1, 0]), { colormap: 'grey', opacity: 0, mode: 'blend', threshold: 0.5 })), Array.from(img));
    const top = colormapTable('inferno').slice(255 * 3);
    assert.deepEqual(Array.from(overlay(img, Float32Array.from([1, 0]), { colormap: 'inferno', opacity: 1, mode: 'blend', threshold: 0.5 }).slice(0, 3)), Array.from(top));
    // Threshold: pixels at or above it keep the picture, the others are darkened.
    const t = overlay(img, Float32Array.from([0.8, 0.2]), { colormap: 'grey', opacity: 0.8, mode: 'threshold', threshold: 0.5 });
    assert.deepEqual(Array.from(t.slice(0, 3)), [100, 100, 100]);
    assert.ok(t[4] < 40, `below-threshold pixel ${t[4]}`);
    assert.equal(quantile(Float32Array.from([0.1, 0.9, 0.5]), 0.5), 0.5);
  });

  it('exports the raw values as JSON: every map decoded in full, with what reproduces the run', () => {
    const values = [0, 0.25, 0.5, 1];
    const e = entry({
      method: 'extremal', settings: { areas: [0.1, 0.2] }, scores: { original: 2, preserved: [1.5, 1.8] },
      maps: [{ name: 'mask@0.1', area: 0.1, width: 2, height: 2, data: encodeFloats(values) }, { name: 'mask@0.2', area: 0.2, width: 2, height: 2, data: encodeFloats([1, 1, 0, 0]) }],
    });
    // Through a JSON round trip, as the file is written.
    const j = JSON.parse(JSON.stringify(explanationJson(e)));
    assert.deepEqual(j.maps.map((m: { area: number; values: number[] }) => [m.area, m.values]), [[0.1, values], [0.2, [1, 1, 0, 0]]]);
    assert.deepEqual(j.image, { path: '/w/a.png', width: 2, height: 2 });
    assert.deepEqual(j.model, { name: 'm', path: '/m/model.json' });
    assert.deepEqual([j.method, j.target, j.targetLabel, j.cli], ['extremal', 3, 'cat', 'node cli.js explain']);
    assert.deepEqual(j.scores.preserved, [1.5, 1.8]);
    assert.equal(j.maps[0].data, undefined, 'base64 left in the export');
    // A map without an area (an attribution map) has no area key.
    assert.equal('area' in JSON.parse(JSON.stringify(explanationJson(entry()))).maps[0], false);
  });

  it('accepts parameters typed in "Advanced…" only when they parse', () => {
    const areas = { key: 'areas', type: 'numbers' as const, description: '', defaultText: '' };
    assert.deepEqual(parseParam(areas, '0.05, 0.1 0.2'), { value: [0.05, 0.1, 0.2] });
    assert.ok('error' in parseParam(areas, '0.1, x'));
    assert.ok('error' in parseParam({ key: 'maxIter', type: 'integer', description: '', defaultText: '' }, '2.5'));
    assert.deepEqual(parseParam({ key: 'variant', type: 'enum', options: ['preserve', 'delete'], description: '', defaultText: '' }, 'delete'), { value: 'delete' });
    assert.ok(isExplainableImage('/a/B.JPEG') && isExplainableImage('x.tif') && !isExplainableImage('x.bmp') && !isExplainableImage('png'));
  });

  it('quotes CLI arguments for POSIX shells and passes settings without a flag of their own through --settings', () => {
    assert.equal(quoteArg('/a/b.png', 'linux'), '/a/b.png');
    assert.equal(quoteArg("/a b/it's.png", 'linux'), `'/a b/it'\\''s.png'`);
    const c = cliCommand({ cliPath: '/ext/dist/cli.js', model: { path: '/m/model.json', labels: '/m/l.json', preprocessing: { inputRange: [-1, 1] } },
      imagePath: '/w/a.png', method: 'extremal', target: 3, settings: { areas: [0.05, 0.1], maxIter: 50, numLevels: 4 }, backend: 'cpu', outDir: '/w/out', platform: 'linux' });
    assert.equal(c.command, `node /ext/dist/cli.js explain --model /m/model.json --labels /m/l.json --input-range -1,1 --image /w/a.png --method extremal --target 3 --areas 0.05,0.1 --iterations 50 --settings '{"numLevels":4}' --backend cpu --out /w/out`);
    assert.deepEqual(c.unsupported, []);
  });

  it('"Copy as CLI command" reproduces the run it was copied from', async function () {
    this.timeout(180_000);
    const ext = vscode.extensions.getExtension('cnn-lens.cnn-lens')!;
    const model = path.resolve(ext.extensionPath, '..', 'shared', 'models', 'mobilenet_v1_025', 'model.json');
    const image = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'images', 'cat.jpg');
    if (!fs.existsSync(model)) this.skip();
    const r = await vscode.commands.executeCommand<ExplanationEntry | undefined>('cnnLens.explainImage', {
      modelPath: model, imageUri: vscode.Uri.file(image), target: 282, method: 'gradcam', settings: { layer: 'conv_pw_12_relu' },
    });
    assert.ok(r, 'no explanation');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-lens-cli-'));
    const cmd = r.cli.replace(/--out \S+/, `--out ${quoteArg(out)}`);
    assert.match(cmd, /--layer conv_pw_12_relu/);
    // Run exactly that line in a shell, with the extension host's Node for `node`.
    await new Promise<void>((resolve, reject) => execFile('/bin/sh', ['-c', cmd.replace(/^node /, `${quoteArg(process.execPath)} `)], { timeout: 150_000 },
      (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve())));
    const json = JSON.parse(fs.readFileSync(path.join(out, 'explanation.json'), 'utf8'));
    assert.equal(json.method, 'gradcam');
    assert.equal(json.target, 282);
    assert.equal(json.settings.layer, 'conv_pw_12_relu');
    const m = json.maps.find((x: { name: string }) => x.name === 'gradcam');
    const cliMap = new Float32Array(fs.readFileSync(path.join(out, m.file)).buffer.slice(0));
    const b = Buffer.from(r.maps.find((x) => x.name === 'gradcam')!.data, 'base64');
    const panelMap = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    assert.equal(cliMap.length, panelMap.length);
    let maxDiff = 0;
    for (let i = 0; i < cliMap.length; i++) maxDiff = Math.max(maxDiff, Math.abs(cliMap[i] - panelMap[i]));
    assert.ok(maxDiff < 1e-4, `CLI and panel maps differ by up to ${maxDiff}`);
    fs.rmSync(out, { recursive: true, force: true });
  });
});
