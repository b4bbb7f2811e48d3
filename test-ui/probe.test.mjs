// UI test in the real workbench (code-server + headless chromium): palette "CNN Lens: Probe Concepts…" → model,
// layer, dataset folder (VS Code's own folder dialog), concepts (the searchable multi-pick), probe kinds → the
// Concepts panel shows the table;
// sorting, filtering and selecting a concept (top filters, validation images with masks, filters-needed chart,
// nearest concepts). Screenshots of the table go to test-results/screenshots/. The panel must come back after a
// window reload. The bundled demo model is copied into the workspace (discovered there), and the synthetic world is
// written next to it by `cli world`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../scripts/codeserver.mjs';
import { openWorkbench, panelFrame, quickPick, runCommand, screenshotsDir, switchTheme, typeIntoDialog } from './workbench.mjs';

const log = (s) => console.log(`# ${s}`);
let wb;
let broden;
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring'];

before(async () => {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  wb = await openWorkbench({ log });
  fs.cpSync(path.join(repoRoot, 'media', 'demo-model'), path.join(wb.folder, 'models', 'demo-model'), { recursive: true });
  execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'world', '--out', path.join(wb.folder, 'world'), '--count', '60'], { stdio: 'ignore', timeout: 120_000 });
  broden = path.join(wb.folder, 'world', 'broden');
  log(`workbench (${wb.mode}) loaded, world written after ${secs()}`);
});

after(async () => {
  await wb?.close();
  log(`UI suite total ${secs()}`);
});


/** Rows of the concepts table inside the panel. */
const rows = (frame) => frame.locator('table[data-testid="concept-table"] tbody tr[data-concept]');

test('palette → model, layer, dataset, concepts, probes → the Concepts panel shows the table', { timeout: 600_000 }, async () => {
  const { page } = wb;
  await runCommand(page, 'cnnLens.probeConcepts', 'CNN Lens: Probe Concepts');

  const models = await quickPick(page, 'Probe Concepts (1/5)');
  const model = models.filter({ hasText: 'demo-model' }).first();
  await model.waitFor({ timeout: 60_000 });
  await model.click();

  const layers = await quickPick(page, 'Probe Concepts (2/5)');
  await layers.first().waitFor({ timeout: 60_000 });
  const layerTexts = await layers.allInnerTexts();
  log(`layers: ${layerTexts.map((t) => t.replace(/\s+/g, ' ')).join(' | ')}`);
  assert.ok(layerTexts.some((t) => /relu3/.test(t) && /16×16 · 64 filters/.test(t)), 'relu3 is not offered with its output shape');
  await layers.filter({ hasText: 'relu3' }).first().click();

  // No recent dataset yet: VS Code's folder dialog (the simple, quick-input one in a browser). Type the folder, accept.
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 30_000 });
  await typeIntoDialog(page, input, `${broden}/`);
  await input.press('Enter');
  const concepts = await quickPick(page, 'Probe Concepts (4/5)', 45_000).catch(async () => {
    // Some builds first navigate into the typed folder; a second Enter accepts it.
    log(`dataset dialog still open with "${await input.inputValue().catch(() => '?')}": Enter again`);
    await page.screenshot({ path: path.join(screenshotsDir, 'probe-dataset-dialog.png') });
    await input.press('Enter');
    return quickPick(page, 'Probe Concepts (4/5)', 60_000);
  });
  await concepts.first().waitFor({ timeout: 30_000 });
  const conceptTexts = await concepts.allInnerTexts();
  assert.ok(conceptTexts.some((t) => /All 24 concepts/.test(t) && /Broden/.test(t)), `format not detected: ${conceptTexts.join(' | ')}`);
  assert.ok(conceptTexts.some((t) => /All of shape/.test(t)), `no category entries: ${conceptTexts.join(' | ')}`);
  // The searchable multi-pick: type to filter (labels and categories), check everything shown, accept.
  await concepts.filter({ hasText: 'Choose concepts' }).first().click();
  const many = await quickPick(page, 'choose concepts');
  await many.first().waitFor({ timeout: 30_000 });
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await box.fill('shape');
  let shown = [];
  for (let i = 0; i < 50; i++) {
    // A row's text is its label followed by its description (the category).
    shown = (await many.allInnerTexts()).map((t) => t.replace(/\s*shape\s*$/, '').trim());
    if (shown.length === SHAPES.length) break;
    await page.waitForTimeout(200);
  }
  assert.deepEqual([...shown].sort(), [...SHAPES].sort(), `the search for "shape" shows ${shown.join(', ')}`);
  // "Check all (visible)": the header's checkbox (VS Code 1.10x builds it without the older .quick-input-check-all class).
  const checkAll = page.locator('.quick-input-widget .quick-input-header > .monaco-checkbox, .quick-input-widget .quick-input-check-all').first();
  if (await checkAll.waitFor({ timeout: 5000 }).then(() => true, () => false)) await checkAll.click();
  else { log('no check-all box: checking the rows one by one'); for (let i = 0; i < SHAPES.length; i++) await many.nth(i).click(); }
  const count = await page.locator('.quick-input-widget .quick-input-count').innerText().catch(() => '?');
  log(`multi-pick: "shape" shows ${shown.length} concepts; selected count badge "${count.trim()}"`);
  await box.press('Enter');

  const kinds = await quickPick(page, 'Probe Concepts (5/5)');
  await kinds.filter({ hasText: 'Segmentation and classification' }).first().click();
  // Where sbatch is installed, "Run here" or "Run on Slurm…" is asked next (issue #9).
  const here = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Run here' }).first();
  if (await here.waitFor({ timeout: 5000 }).then(() => true, () => false)) { await here.click(); log('chose "Run here" (sbatch is on the PATH)'); }
  log(`probe started at ${secs()}`);

  const frame = panelFrame(page);
  // While it runs: the panel's progress with a Cancel button.
  const busy = frame.locator('[data-testid="busy-message"]');
  await busy.waitFor({ timeout: 60_000 }).then(async () => log(`panel progress: ${await busy.innerText()}`)).catch(() => log('the probe finished before its progress was seen'));
  await rows(frame).first().waitFor({ timeout: 300_000 });
  log(`table shown at ${secs()}`);
  assert.deepEqual((await rows(frame).evaluateAll((trs) => trs.map((t) => t.dataset.concept))).sort(), [...SHAPES].sort());
  const headers = await frame.locator('table[data-testid="concept-table"] thead th').allInnerTexts();
  assert.deepEqual(headers.map((h) => h.replace(/[▲▼]/g, '').trim()), ['Concept', 'Category', 'Best filter', 'Filter IoU', 'Net2Vec IoU', 'Gain', 'Filters for 90 %']);
  // Default order: gain, descending.
  const gains = await rows(frame).evaluateAll((trs) => trs.map((t) => Number(t.children[5].textContent.replace('−', '-').replace('+', ''))));
  assert.deepEqual(gains, [...gains].sort((a, b) => b - a), `not sorted by gain: ${gains}`);
  assert.match(await frame.locator('[data-testid="summary"]').innerText(), /60 images \(\d+ train, \d+ val\) · layer 16×16×64/);
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'concepts-table-dark.png') });

  // Export CSV and JSON through VS Code's save dialog (the simple, quick-input one): type the file, accept.
  for (const [button, file] of [['export-csv', 'probe-table.csv'], ['export-json', 'probe-result.json']]) {
    await frame.locator(`vscode-button[data-testid="${button}"]`).click();
    const target = path.join(wb.folder, file);
    const box = page.locator('.quick-input-widget .quick-input-box input');
    await box.waitFor({ timeout: 30_000 });
    await typeIntoDialog(page, box, target);
    await box.press('Enter');
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(target) && Date.now() < deadline) await page.waitForTimeout(250);
    assert.ok(fs.existsSync(target), `${file} was not written`);
  }
  const csv = fs.readFileSync(path.join(wb.folder, 'probe-table.csv'), 'utf8').trim().split('\n');
  assert.match(csv[0], /^concept,category,probe,metric,best_filter,best_filter_score,net2vec_score,gain/);
  assert.deepEqual([...new Set(csv.slice(1).map((l) => l.split(',')[0]))].sort(), [...SHAPES].sort());
  const json = JSON.parse(fs.readFileSync(path.join(wb.folder, 'probe-result.json'), 'utf8'));
  assert.equal(json.layer, 'relu3');
  assert.equal(json.thresholds.length, 64, 'the JSON export is not the full result');
  assert.ok(json.concepts.every((c) => !c.segmentation || c.segmentation.weights.length === 64));
  log(`exported ${csv.length - 1} CSV rows and the full JSON at ${secs()}`);

  // Sort by concept name (A→Z), then filter.
  await frame.locator('th button[data-sort="concept"]').click();
  const names = await rows(frame).evaluateAll((trs) => trs.map((t) => t.dataset.concept));
  assert.deepEqual(names, [...SHAPES].sort());
  assert.equal(await frame.locator('th:has(button[data-sort="concept"])').getAttribute('aria-sort'), 'ascending');
  await frame.locator('vscode-textfield[data-testid="filter"]').click();
  await page.keyboard.type('ci');
  await frame.locator('table[data-testid="concept-table"] tbody tr[data-concept="ring"]').waitFor({ state: 'detached', timeout: 10_000 });
  assert.deepEqual(await rows(frame).evaluateAll((trs) => trs.map((t) => t.dataset.concept)), ['circle']);
  for (let i = 0; i < 2; i++) await page.keyboard.press('Backspace');
  await frame.locator('table[data-testid="concept-table"] tbody tr[data-concept="ring"]').waitFor({ timeout: 10_000 });

  // Select a concept: its detail.
  await frame.locator('tbody tr[data-concept="circle"]').click();
  assert.equal(await frame.locator('tbody tr[data-concept="circle"]').getAttribute('aria-selected'), 'true');
  const detail = frame.locator('[data-testid="concept-detail"]');
  assert.equal(await detail.locator('[data-testid="detail-title"]').innerText(), 'circle');
  assert.equal(await detail.locator('[data-testid="top-filters"] tr').count(), 5);
  await detail.locator('canvas[data-testid="curve-chart"]').waitFor({ timeout: 10_000 });
  const examples = detail.locator('canvas[data-testid="example"]');
  assert.ok(await examples.count() >= 1, 'no validation images');
  await detail.locator('canvas[data-testid="example"][data-loaded="true"]').first().waitFor({ timeout: 20_000 });
  const size = await examples.first().evaluate((c) => [c.width, c.height]);
  assert.deepEqual(size, [64, 64], 'the validation picture is not drawn at its own size');
  const nearest = await detail.locator('[data-testid="nearest"] a').allInnerTexts();
  assert.ok(nearest.length >= 1 && nearest.every((n) => SHAPES.includes(n) && n !== 'circle'), `nearest: ${nearest}`);
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'concepts-detail-dark.png') });
  await detail.locator('[data-testid="nearest"]').scrollIntoViewIfNeeded();
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'concepts-detail-chart-dark.png') });
  // A nearest concept selects that concept.
  await detail.locator('[data-testid="nearest"] a').first().click();
  assert.equal(await detail.locator('[data-testid="detail-title"]').innerText(), nearest[0]);

  // The classification probe's table.
  await frame.locator('vscode-single-select[data-testid="kind"]').click();
  await frame.locator('vscode-single-select[data-testid="kind"]').locator('vscode-option', { hasText: 'Classification' }).click().catch(async () => {
    await page.keyboard.press('ArrowDown'); await page.keyboard.press('Enter');
  });
  await frame.locator('th button[data-sort="score"]', { hasText: 'Net2Vec AP' }).waitFor({ timeout: 10_000 });

  await switchTheme(page, 'Light Modern', 'vscode-light');
  await page.waitForTimeout(500);
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'concepts-table-light.png') });
  await detail.locator('[data-testid="nearest"]').scrollIntoViewIfNeeded();
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'concepts-detail-chart-light.png') });
  log(`screenshots written to ${screenshotsDir} at ${secs()}`);
});

test('the Concepts panel survives a window reload (serializer and webview state)', { timeout: 300_000 }, async () => {
  const { page } = wb;
  await runCommand(page, 'workbench.action.reloadWindow', 'Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  const frame = panelFrame(page);
  await rows(frame).first().waitFor({ timeout: 180_000 });
  assert.equal(await rows(frame).count(), SHAPES.length);
  // The view came back too: classification table, the selected concept.
  await frame.locator('th button[data-sort="score"]', { hasText: 'Net2Vec AP' }).waitFor({ timeout: 10_000 });
  assert.equal(await frame.locator('tbody tr[aria-selected="true"]').count(), 1);
  log(`panel restored after reload at ${secs()}`);
});

/** Palette → the remembered model and dataset → layer relu3 → the concepts row and probe-kind row whose labels start so. */
async function startProbe(page, conceptsLabel, kindLabel) {
  await runCommand(page, 'cnnLens.probeConcepts', 'CNN Lens: Probe Concepts');
  const row = (label) => page.locator(`.quick-input-widget .quick-input-list .monaco-list-row[aria-label^="${label}"]`).first();
  await (await quickPick(page, 'Probe Concepts (1/5)')).filter({ hasText: 'demo-model' }).first().click();
  await (await quickPick(page, 'Probe Concepts (2/5)')).filter({ hasText: 'relu3' }).first().click();
  // The dataset is remembered now: a pick of recent folders instead of the folder dialog.
  await (await quickPick(page, 'Probe Concepts (3/5)')).filter({ hasText: 'broden' }).first().click();
  await quickPick(page, 'Probe Concepts (4/5)');
  await row(conceptsLabel).click();
  await quickPick(page, 'Probe Concepts (5/5)');
  await row(kindLabel).click();
  // Where sbatch is installed, "Run here" or "Run on Slurm…" is asked next (issue #9).
  const here = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Run here' }).first();
  if (await here.waitFor({ timeout: 5000 }).then(() => true, () => false)) await here.click();
}

test('the progress notification\'s Cancel button stops a running probe; the next probe runs', { timeout: 600_000 }, async () => {
  const { page } = wb;
  await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
  await runCommand(page, 'notifications.clearAll', 'Notifications: Clear All Notifications');
  const toasts = page.locator('.notifications-toasts .notification-toast');
  // All 24 concepts, both probes, with the filters-needed curve (the default): long enough to be cancelled.
  await startProbe(page, 'All 24 concepts', 'Segmentation and classification');
  const toast = toasts.filter({ hasText: /probing concepts/i }).first();
  await toast.waitFor({ timeout: 120_000 }).catch(async (e) => {
    await page.screenshot({ path: path.join(screenshotsDir, 'probe-cancel-no-toast.png') });
    throw e;
  });
  const frame = panelFrame(page);
  log(`probe running at ${secs()}: "${(await toast.innerText()).replace(/\s+/g, ' ')}"`);
  await toast.hover(); // a hovered toast is not hidden meanwhile
  await toast.getByRole('button', { name: 'Cancel', exact: true }).click();
  log(`notification's Cancel clicked at ${secs()}`);

  // The run stops: the panel says cancelled (not an error), the progress toast goes away, no table, no error toast.
  await frame.locator('[data-testid="failure"]', { hasText: 'Probing was cancelled.' }).waitFor({ timeout: 120_000 });
  await toast.waitFor({ state: 'detached', timeout: 60_000 });
  assert.equal(await frame.locator('[data-testid="failure"].error').count(), 0);
  assert.equal(await rows(frame).count(), 0, 'a cancelled probe showed a table');
  assert.equal(await toasts.filter({ hasText: /failed/i }).count(), 0, `an error was shown: ${await toasts.allInnerTexts()}`);
  log(`cancelled at ${secs()}`);

  // A short probe afterwards runs to its table (the engine is free again).
  await runCommand(page, 'workbench.action.closeAllEditors', 'View: Close All Editors');
  await startProbe(page, 'All of shape', 'Classification');
  const next = panelFrame(page);
  await rows(next).first().waitFor({ timeout: 300_000 });
  assert.deepEqual((await rows(next).evaluateAll((trs) => trs.map((t) => t.dataset.concept))).sort(), [...SHAPES].sort());
  await next.locator('th button[data-sort="score"]', { hasText: 'Net2Vec AP' }).waitFor({ timeout: 10_000 });
  assert.equal(await toasts.filter({ hasText: /failed/i }).count(), 0, `an error was shown: ${await toasts.allInnerTexts()}`);
  log(`the next probe's table shown at ${secs()}`);
});
