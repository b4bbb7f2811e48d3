// The Explain panel's live updates against its real webview: whatever a run reports while the webview cannot listen
// (before it says "ready", or while it is hidden — no retainContextWhenHidden, so it is destroyed) must reach it when
// it can: the latest step and energies with the latest masks, a short run's result, a failure. Messages posted to
// the webview are recorded; the replay is what the webview's own "ready" triggers.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { encodeFloats } from '../../src/extension/explain/entryCodec';
import { ExplainPanel, type PanelDeps } from '../../src/extension/explain/explainPanel';
import type { Notifier } from '../../src/extension/notifier';
import type { CnnLensOutput } from '../../src/extension/output';
import { validateToPanel, type ExplanationEntry, type ToPanelMessage } from '../../src/webview/explainPanelProtocol';
import { extension } from './extensionUnderTest';

const pending = (method: string) => ({ imageName: 'cat.jpg', modelName: 'm', method, targetLabel: 'cat' });
const mask = (v: number) => [{ name: 'mask@0.1', area: 0.1, width: 2, height: 2, data: encodeFloats([v, v, v, v]) }];

function entry(): Omit<ExplanationEntry, 'id'> {
  return {
    imageName: 'cat.jpg', imagePath: '/w/cat.jpg', modelName: 'm', modelPath: '/m/model.json', method: 'gradient',
    target: 3, targetLabel: 'cat', predictions: [], settings: {}, scores: { original: 1 }, elapsedMs: 5, backend: 'wasm',
    image: { width: 2, height: 2, rgb: Buffer.alloc(12, 7).toString('base64') }, maps: mask(0.5), cli: 'node cli.js explain',
  };
}

async function until(what: string, ok: () => boolean, ms = 30_000) {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Explain panel: live updates the webview could not receive', function () {
  this.timeout(90_000);
  const image = () => path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'images', 'live-replay.png');
  let panel: ExplainPanel;
  const sent: ToPanelMessage[] = [];
  const warnings: string[] = [];
  const ofRun = (id: string) => sent.filter((m) => ('entry' in m ? m.entry.id : 'update' in m ? m.update.id : 'id' in m ? m.id : '') === id);

  before(() => {
    const deps: PanelDeps = {
      extensionUri: extension().extensionUri,
      out: { info() {}, warn: (l: string) => warnings.push(l) } as unknown as CnnLensOutput,
      notifier: { error: (w: string, e: unknown) => warnings.push(`${w}: ${String(e)}`) } as unknown as Notifier,
      compare() {},
    };
    panel = ExplainPanel.forImage(image(), deps);
    // Record what reaches the webview, as it arrives there (a JSON round trip) and checked by its own validation.
    const webview = panel.panel.webview;
    const post = webview.postMessage.bind(webview);
    (webview as { postMessage: typeof post }).postMessage = (m: unknown) => {
      sent.push(validateToPanel(JSON.parse(JSON.stringify(m))));
      return post(m);
    };
  });

  let long: ReturnType<ExplainPanel['start']>;

  it('replays what happened before the webview was ready: latest progress, a short run\'s result, a failure', async () => {
    // All of this happens synchronously, before the new webview can have said "ready".
    long = panel.start(pending('extremal'), undefined);
    long.progress({ step: 0, total: 300, terms: { energy: 2 }, maps: mask(0.1) });
    long.progress({ step: 7, total: 300, terms: { energy: 1.25 } }); // most updates carry no masks
    const short = panel.start(pending('extremal'), undefined);
    short.progress({ step: 0, total: 20, terms: { energy: 3 }, maps: mask(0.2) });
    const done = short.finish(entry());
    const broken = panel.start(pending('rise'), undefined);
    broken.fail('out of memory', false);
    assert.equal(sent.length, 0, 'posted before the webview was ready');

    await until('the webview to say "ready"', () => sent.length > 0);
    assert.ok(ofRun(done.id).some((m) => m.type === 'result'), 'the short run\'s result was not shown');
    const progress = sent.filter((m): m is Extract<ToPanelMessage, { type: 'progress' }> => m.type === 'progress');
    assert.equal(progress.length, 1, JSON.stringify(progress.map((m) => m.update.step)));
    const u = progress[0].update;
    assert.deepEqual([u.step, u.total, u.terms], [7, 300, { energy: 1.25 }], 'not the latest step and energies');
    assert.deepEqual(u.maps, mask(0.1), 'the latest masks were not kept');
    assert.ok(sent.indexOf(progress[0]) > sent.findIndex((m) => m.type === 'started' && m.entry.id === u.id), 'progress before its run');
    const failed = sent.filter((m) => m.type === 'failed');
    assert.deepEqual(failed.map((m) => [m.message, m.cancelled]), [['out of memory', false]], 'the failure was not shown');
    assert.ok(sent.some((m) => m.type === 'started' && failed[0].type === 'failed' && m.entry.id === failed[0].id && m.entry.method === 'rise'));
    assert.equal(panel.rejectedMessages, 0, warnings.join('\n'));
  });

  it('shows the same again after the panel was hidden (its webview destroyed) and shown', async () => {
    const column = panel.panel.viewColumn;
    const doc = await vscode.workspace.openTextDocument(path.join(path.dirname(image()), 'README.md'));
    await vscode.window.showTextDocument(doc, { viewColumn: column, preview: false });
    await until('the panel to be hidden', () => !panel.panel.visible);
    sent.length = 0;
    long.progress({ step: 42, total: 300, terms: { energy: 0.5 } });
    long.progress({ step: 43, total: 300, terms: { energy: 0.4 }, maps: mask(0.3) });
    long.progress({ step: 44, total: 300, terms: { energy: 0.375 } });
    const broken = panel.start(pending('occlusion'), undefined);
    broken.fail('disk full', false);
    assert.equal(sent.length, 0, 'posted to a hidden webview');

    panel.panel.reveal(column, true);
    // The finished entry is always re-sent, first, in the same synchronous batch as the rest.
    await until('the re-shown webview to say "ready"', () => sent.some((m) => m.type === 'result'));
    const progress = sent.filter((m): m is Extract<ToPanelMessage, { type: 'progress' }> => m.type === 'progress');
    assert.deepEqual(progress.map((m) => [m.update.step, m.update.terms, m.update.maps]), [[44, { energy: 0.375 }, mask(0.3)]]);
    // Both failures (the one from before hiding too) stay until dismissed.
    assert.deepEqual(sent.filter((m) => m.type === 'failed').map((m) => m.type === 'failed' && m.message), ['out of memory', 'disk full']);
    assert.equal(sent.filter((m) => m.type === 'result').length, 1);
    assert.equal(panel.rejectedMessages, 0, warnings.join('\n'));
    await vscode.window.tabGroups.close(vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === doc.uri.toString()));
  });

  after(() => {
    long?.fail('Cancelled.', true);
    panel?.panel.dispose();
  });
});
