// UI test in the real workbench (code-server + headless chromium): right-click an image in the explorer → "Explain
// Image with This Model…" → pick model, class, method → the Explain panel shows the live mask, then the overlay.
// Screenshots of the panel in dark and light themes go to test-results/screenshots/. The panel must come back after
// a window reload (serializer + webview state). By default CNN Lens is installed from the packaged VSIX
// (`npm run package`), so this also proves the VSIX installs and explains an image; HARNESS_UI_MODE=dev loads it
// from source instead.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { explorerRow, openWorkbench, panelFrame, quickPick, runCommand, screenshotsDir, switchTheme } from './workbench.mjs';

const log = (s) => console.log(`# ${s}`);
let wb;
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** Mean and standard deviation of a canvas' red channel, read inside the webview. */
async function canvasStats(locator) {
  return locator.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) { s += d[i]; s2 += d[i] * d[i]; }
    const mean = s / n;
    return { width: c.width, height: c.height, mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)) };
  });
}

before(async () => {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  wb = await openWorkbench({ log });
  log(`workbench (${wb.mode}) loaded after ${secs()}`);
});

after(async () => {
  if (wb?.external.length) log(`browser requests off loopback (webview resources are served by its service worker): ${[...new Set(wb.external)].length}`);
  await wb?.close();
  log(`UI suite total ${secs()}`);
});

test('the explorer menu offers Explain Image on images only', { timeout: 180_000 }, async () => {
  const { page } = wb;
  await explorerRow(page, 'README.md').waitFor({ timeout: 90_000 });
  await explorerRow(page, 'README.md').click({ button: 'right' });
  const menu = page.locator('.monaco-menu .action-item .action-label');
  await menu.filter({ hasText: 'Copy Path' }).first().waitFor({ timeout: 30_000 });
  assert.equal(await menu.filter({ hasText: 'Explain Image with This Model' }).count(), 0, 'offered on README.md');
  await page.keyboard.press('Escape');
});

test('right-click an image → model, class, method → the panel shows the live mask, then the overlay', { timeout: 600_000 }, async () => {
  const { page } = wb;
  await explorerRow(page, 'images').click();
  const cat = explorerRow(page, 'cat.jpg');
  await cat.waitFor({ timeout: 30_000 });
  // The command appears once the extension host has scanned CNN Lens: retry the menu until it does.
  const item = page.locator('.monaco-menu .action-item .action-label:text-is("Explain Image with This Model…")');
  for (let i = 0; ; i++) {
    await cat.click({ button: 'right' });
    try { await item.waitFor({ timeout: 3000 }); break; } catch (e) { await page.keyboard.press('Escape'); if (i > 20) throw e; await page.waitForTimeout(1500); }
  }
  await item.click();

  const models = await quickPick(page, 'Explain Image (1/3)');
  const model = models.filter({ hasText: 'mobilenet' }).first();
  await model.waitFor({ timeout: 30_000 });
  await model.click();
  log(`model picked at ${secs()}`);

  const classes = await quickPick(page, 'Explain Image (2/3)');
  await classes.first().waitFor({ timeout: 30_000 });
  const classTexts = await classes.allInnerTexts();
  log(`classes: ${classTexts.slice(0, 6).map((t) => t.replace(/\s+/g, ' ')).join(' | ')}`);
  assert.ok(classTexts.some((t) => /tabby/.test(t)), 'the top-5 has no tabby cat');
  assert.ok(classTexts.some((t) => /Other class/.test(t)), 'no "Other class…" entry');
  assert.ok(classTexts.filter((t) => /\d+(\.\d)? %/.test(t)).length >= 5, 'top-5 without probabilities');
  await classes.filter({ hasText: 'tabby' }).first().click();

  const methods = await quickPick(page, 'Explain Image (3/3)');
  await methods.first().waitFor({ timeout: 30_000 });
  const methodTexts = await methods.allInnerTexts();
  log(`methods: ${methodTexts.map((t) => t.split('\n')[0]).join(' | ')}`);
  // The list is virtualised (rows off screen are not in the DOM): filter for the "Advanced…" entry, then clear the filter.
  const filterBox = page.locator('.quick-input-widget .quick-input-box input');
  await filterBox.fill('Advanced');
  await methods.filter({ hasText: 'Advanced' }).first().waitFor({ timeout: 10_000 });
  await filterBox.fill('');
  await methods.first().waitFor({ timeout: 10_000 });
  const method = methodTexts.some((t) => t.startsWith('Extremal perturbation')) ? 'Extremal perturbation' : 'Meaningful perturbation';
  await methods.filter({ hasText: method }).first().click();
  log(`method ${method} picked at ${secs()}`);

  const frame = panelFrame(page);
  const overlay = frame.locator('canvas[data-testid="overlay"]').first();
  // Watch for the live mask while the optimisation runs; the overlay replaces it when the result arrives.
  let liveSteps = new Set();
  const deadline = Date.now() + 480_000;
  let lastLog = 0;
  while (Date.now() < deadline && !(await overlay.count())) {
    if (Date.now() - lastLog > 3000) {
      lastLog = Date.now();
      const frames = await page.locator('iframe.webview').evaluateAll((fs) => fs.map((f) => `${f.className}|${f.title}|${f.getAttribute('name') ?? ''}`.slice(0, 80)));
      const text = await frame.locator('[data-testid="progress-text"]').first().textContent({ timeout: 500 }).catch(() => '(none)');
      log(`${secs()}: webviews [${frames.join(' ; ')}]; progress ${text}`);
    }
    const live = frame.locator('canvas[data-testid="live-mask"]');
    if (await live.count()) {
      const step = await live.getAttribute('data-step').catch(() => null);
      if (step !== null) liveSteps.add(step);
      if (liveSteps.size === 1) await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'explain-live-dark.png') }).catch(() => {});
    }
    await page.waitForTimeout(250);
  }
  await overlay.waitFor({ timeout: 10_000 });
  log(`overlay shown at ${secs()}; live mask seen at ${liveSteps.size} distinct steps`);
  assert.ok(liveSteps.size >= 2, `the mask did not evolve live (steps seen: ${[...liveSteps]})`);
  const stats = await canvasStats(overlay);
  assert.deepEqual([stats.width, stats.height], [224, 224]);
  assert.ok(stats.std > 10, `the overlay looks blank: ${JSON.stringify(stats)}`);
  assert.equal(await frame.locator('[data-testid="predictions"] tbody tr').count(), 5);
  assert.match(await frame.locator('.card h2').first().innerText(), /tabby/);
  if (method === 'Extremal perturbation') {
    await frame.locator('canvas[data-testid="area-chart"]').waitFor({ timeout: 10_000 });
    // The area slider switches masks: the overlay changes.
    const before = await canvasStats(overlay);
    await frame.locator('input[data-testid="area"]').focus();
    await page.keyboard.press('End');
    const afterStats = await canvasStats(frame.locator('canvas[data-testid="overlay"]').first());
    assert.notDeepEqual(afterStats, before, 'moving the area slider did not change the overlay');
    // Beside the slider (and to a screen reader) the area itself, not the slider's index.
    const shown = await frame.locator('input[data-testid="area"] + output').innerText();
    assert.match(shown, /^\d+%$/, `the area slider shows "${shown}"`);
    assert.equal(await frame.locator('input[data-testid="area"]').getAttribute('aria-valuetext'), shown);
  }
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'explain-panel-dark.png') });
  await page.screenshot({ path: path.join(screenshotsDir, 'workbench-dark.png') });

  await switchTheme(page, 'Light Modern', 'vscode-light');
  await page.waitForTimeout(500);
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'explain-panel-light.png') });
  await page.screenshot({ path: path.join(screenshotsDir, 'workbench-light.png') });
  log(`screenshots written to ${screenshotsDir} at ${secs()}`);
});

test('the panel survives a window reload (serializer and webview state)', { timeout: 300_000 }, async () => {
  const { page } = wb;
  await runCommand(page, 'workbench.action.reloadWindow', 'Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  const frame = panelFrame(page);
  const overlay = frame.locator('canvas[data-testid="overlay"]').first();
  await overlay.waitFor({ timeout: 180_000 });
  const stats = await canvasStats(overlay);
  assert.ok(stats.std > 10, `restored overlay looks blank: ${JSON.stringify(stats)}`);
  assert.match(await frame.locator('.card h2').first().innerText(), /tabby/);
  log(`panel restored after reload at ${secs()}`);
});
