// UI test of the Explain panel's own features in the real workbench (code-server + headless chromium), after one
// extremal-perturbation explanation of cat.jpg:
//   - keyboard only: Tab reaches every control in visual order, each with a visible focus indicator (pixels change
//     when it gains focus), and sliders, selects, the settings collapsible and buttons work from the keyboard;
//   - Export: overlay PNG, mask PNG and JSON written through VS Code's save dialog (a quick input a path is typed
//     into), and checked against each other;
//   - Compare: a second explanation (another class and method) started from the panel appears beside the first;
//   - themes: Dark/Light High Contrast and Light/Dark Modern, with every visible text's contrast ratio against its
//     actual background measured (WCAG AA: at least 4.5:1) and screenshots saved to test-results/screenshots/.
// HARNESS_UI_MODE=dev loads CNN Lens from source instead of the packaged VSIX.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { explorerRow, openWorkbench, panelFrame, quickPick, runCommand, screenshotsDir, typeIntoDialog } from './workbench.mjs';

const log = (s) => console.log(`# ${s}`);
let wb;
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** Mean and standard deviation of a canvas' pixels (all channels), read inside the webview. */
const canvasStats = (locator) => locator.evaluate((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let s = 0, s2 = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) { s += d[i + k]; s2 += d[i + k] * d[i + k]; n++; }
  const mean = s / n;
  return { width: c.width, height: c.height, mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)) };
});

/** Picks model, class and method in the three quick picks of "Explain Image…". */
async function pickExplanation(page, { classPick, method }) {
  const models = await quickPick(page, 'Explain Image (1/3)');
  const model = models.filter({ hasText: 'mobilenet' }).first();
  await model.waitFor({ timeout: 30_000 });
  await model.click();
  const classes = await quickPick(page, 'Explain Image (2/3)');
  await classes.first().waitFor({ timeout: 60_000 });
  const texts = await classes.allInnerTexts();
  const label = classPick(texts);
  assert.ok(label, `no class to pick among ${texts.join(' | ')}`);
  await classes.filter({ hasText: label }).first().click();
  const methods = await quickPick(page, 'Explain Image (3/3)');
  await methods.first().waitFor({ timeout: 30_000 });
  // The list is virtualised: filter for the method so its row is rendered.
  await page.locator('.quick-input-widget .quick-input-box input').fill(method);
  const row = methods.filter({ hasText: method }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  return label;
}

/** The class label of a top-5 quick-pick row ("tabby, tabby cat  71.3 %" → "tabby, tabby cat"). */
const classLabel = (row) => row.replace(/\s*\d+(\.\d+)? %[\s\S]*$/, '').trim();


/**
 * Answers the save dialog with `file` and waits for the file to be written. The dialog is recognised by its default
 * file name (the quick input of a previous dialog may still be in the page, hidden, with its old value).
 */
async function saveAs(page, file, defaultName) {
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await box.waitFor({ state: 'visible', timeout: 30_000 });
  const deadline = Date.now() + 30_000;
  while (!defaultName.test(await box.inputValue())) {
    assert.ok(Date.now() < deadline, `the save dialog shows "${await box.inputValue()}", not ${defaultName}`);
    await page.waitForTimeout(200);
  }
  await typeIntoDialog(page, box, file);
  await box.press('Enter');
  while (!fs.existsSync(file) && Date.now() < deadline + 30_000) await page.waitForTimeout(250);
  assert.ok(fs.existsSync(file), `${path.basename(file)} was not written`);
  await box.waitFor({ state: 'hidden', timeout: 30_000 });
  // The write may still be in progress when the file appears: the panel says "Saved …" once it is done.
  await panelFrame(page).locator('[data-testid="notice"]', { hasText: `Saved ${path.basename(file)}.` }).waitFor({ timeout: 30_000 });
}

/** What has focus inside the webview: the light-DOM element (custom element host included), its test id and card. */
const focused = (frame) => frame.locator('body').evaluate(() => {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  return { testid: a.getAttribute('data-testid'), tag: a.tagName.toLowerCase(), card: a.closest('.card')?.getAttribute('data-id') ?? null };
});

/** Blurs the deepest focused element (inside shadow roots too) and remembers it; `refocus` gives focus back. */
const blurDeep = (frame) => frame.locator('body').evaluate(() => {
  let d = document.activeElement;
  while (d?.shadowRoot?.activeElement) d = d.shadowRoot.activeElement;
  window.cnnLensLastFocus = d;
  d?.blur();
});
const refocus = (frame) => frame.locator('body').evaluate(() => window.cnnLensLastFocus?.focus({ preventScroll: true }));

/**
 * Every visible text in the webview (light DOM and open shadow roots) with its contrast ratio against the colour
 * actually painted behind it: backgrounds are composited up the flat tree (slots and shadow hosts included).
 */
const textContrasts = (frame) => frame.locator('body').evaluate(() => {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const up = (e) => e.assignedSlot ?? e.parentElement ?? e.getRootNode().host ?? null;
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = up(e)) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = layers.length && layers[layers.length - 1].a >= 1 ? layers.pop() : parse(getComputedStyle(document.documentElement).backgroundColor) ?? { r: 255, g: 255, b: 255, a: 1 };
    if (bg.a < 1) bg = over(bg, { r: 255, g: 255, b: 255, a: 1 });
    while (layers.length) bg = over(layers.pop(), bg);
    return bg;
  };
  const out = [];
  const visit = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const text = t.textContent.trim();
      const parent = t.assignedSlot ?? t.parentElement;
      if (!text || !parent || ['STYLE', 'SCRIPT'].includes(parent.tagName)) continue;
      const r = document.createRange();
      r.selectNodeContents(t);
      const rect = r.getBoundingClientRect();
      const style = getComputedStyle(parent);
      if (rect.width < 1 || rect.height < 1 || style.visibility !== 'visible' || Number(style.opacity) === 0) continue;
      const fg = parse(style.color);
      if (!fg) { out.push({ text, error: `colour ${style.color}` }); continue; }
      const bg = background(parent);
      const fgc = over(fg, bg);
      const [l1, l2] = [lum(fgc), lum(bg)].sort((a, b) => b - a);
      out.push({ text: text.slice(0, 40), ratio: (l1 + 0.05) / (l2 + 0.05), fg: style.color, where: parent.closest?.('[data-testid]')?.getAttribute('data-testid') ?? parent.tagName.toLowerCase() });
    }
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) visit(e.shadowRoot);
  };
  visit(document.body);
  // Sliders (non-text UI, WCAG 1.4.11): their accent colour (thumb and filled track) against the background.
  for (const e of document.querySelectorAll('input[type=range]')) {
    if (!e.getClientRects().length) continue;
    const accent = parse(getComputedStyle(e).accentColor);
    const where = `slider ${e.getAttribute('data-testid')}`;
    if (!accent) { out.push({ text: where, where, control: true, error: `accent-color ${getComputedStyle(e).accentColor}` }); continue; }
    const bg = background(e);
    const [l1, l2] = [lum(over(accent, bg)), lum(bg)].sort((a, b) => b - a);
    out.push({ text: where, where, control: true, ratio: (l1 + 0.05) / (l2 + 0.05), fg: getComputedStyle(e).accentColor });
  }
  return out;
});

/** Switches the colour theme with the picker and waits for the workbench and the webview to take it. */
async function switchTheme(page, label, workbenchClass, bodyClass) {
  await runCommand(page, 'workbench.action.selectTheme', 'Preferences: Color Theme');
  await page.locator('.quick-input-widget .quick-input-box input').fill(label);
  await page.locator(`.quick-input-list .monaco-list-row[aria-label^="${label}"]`).first().click();
  await page.locator(`.monaco-workbench.${workbenchClass}`).waitFor({ timeout: 30_000 });
  await panelFrame(page).locator(`body.${bodyClass}`).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(800); // the chart redraws on the class change
}

before(async () => {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  wb = await openWorkbench({ log });
  log(`workbench (${wb.mode}) loaded after ${secs()}`);
  const { page } = wb;
  // A shorter optimisation than the other UI tests' (this file tests the panel, not the live mask).
  const settingsFile = path.join(wb.folder, '.vscode', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  settings['cnnLens.explain.methodSettings'].extremal.maxIter = 40;
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  // Expand images/ (the row may render before the tree answers clicks, so retry until cat.jpg shows).
  const images = explorerRow(page, 'images');
  const cat = explorerRow(page, 'cat.jpg');
  await images.waitFor({ timeout: 90_000 });
  for (let i = 0; !(await cat.isVisible()); i++) {
    if ((await images.getAttribute('aria-expanded')) !== 'true') await images.click();
    await cat.waitFor({ timeout: 10_000 }).catch((e) => { if (i >= 10) throw e; });
  }
  const item = page.locator('.monaco-menu .action-item .action-label:text-is("Explain Image with This Model…")');
  for (let i = 0; ; i++) {
    await cat.click({ button: 'right' });
    try { await item.waitFor({ timeout: 3000 }); break; } catch (e) { await page.keyboard.press('Escape'); if (i > 20) throw e; await page.waitForTimeout(1500); }
  }
  await item.click();
  await pickExplanation(page, { classPick: (rows) => rows.map(classLabel).find((l) => /tabby/.test(l)), method: 'Extremal perturbation' });
  // Room for two cards side by side: one editor group, no side bar.
  await runCommand(page, 'workbench.action.joinAllGroups', 'View: Join All Editor Groups');
  await runCommand(page, 'workbench.action.closeSidebar', 'View: Close Primary Side Bar');
  await panelFrame(page).locator('.card canvas[data-testid="overlay"]').first().waitFor({ timeout: 600_000 });
  log(`extremal explanation shown at ${secs()}`);
});

after(async () => {
  await wb?.close();
  log(`UI suite total ${secs()}`);
});

test('keyboard only: Tab reaches every control in order with a visible focus; sliders, selects and buttons work by key', { timeout: 300_000 }, async () => {
  const { page } = wb;
  const frame = panelFrame(page);
  // Focus the panel's document without focusing a control (the title is plain text), then walk with Tab.
  await frame.locator('h1[data-testid="panel-title"]').click();
  const stops = [];
  const invisible = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(frame);
    if (!f) break; // focus left the webview: the walk is complete
    if (stops.some((s) => s.testid === f.testid && s.card === f.card)) break;
    stops.push(f);
    // Visible focus: the element's pixels (with a margin for outlines) differ between focused and not focused.
    const loc = f.card ? frame.locator(`.card[data-id="${f.card}"] [data-testid="${f.testid}"]`).first() : frame.locator(`[data-testid="${f.testid}"]`).first();
    const box = await loc.boundingBox();
    if (!box) { invisible.push(`${f.testid} (no box)`); continue; }
    const clip = { x: Math.max(0, box.x - 4), y: Math.max(0, box.y - 4), width: box.width + 8, height: box.height + 8 };
    const withFocus = await page.screenshot({ clip });
    await blurDeep(frame);
    const without = await page.screenshot({ clip });
    if (withFocus.equals(without)) invisible.push(f.testid);
    await refocus(frame);
  }
  const order = stops.map((s) => s.testid ?? s.tag);
  log(`tab order: ${order.join(' → ')}`);
  const expected = ['compare', 'remove', 'colormap', 'opacity', 'mode', 'view', 'area', 'settings', 'export-overlay', 'export-mask', 'export-json', 'copy-cli'];
  const at = expected.map((id) => order.indexOf(id));
  assert.ok(at.every((i) => i >= 0), `Tab never reached ${expected.filter((_, k) => at[k] < 0).join(', ')} (order: ${order.join(', ')})`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, `Tab order does not follow the layout: ${order.join(', ')}`);
  assert.deepEqual(invisible, [], `no visible focus indicator on: ${invisible.join(', ')}`);

  const card = frame.locator('.card').first();
  const overlay = () => card.locator('canvas[data-testid="overlay"]').first();
  const key = async (testid, ...keys) => {
    await card.locator(`[data-testid="${testid}"]`).first().focus();
    for (const k of keys) { await page.keyboard.press(k); await page.waitForTimeout(150); }
  };

  // Opacity slider: Home shows the bare picture, arrows step it up.
  const before = await canvasStats(overlay());
  await key('opacity', 'Home');
  assert.equal(await card.locator('input[data-testid="opacity"]').inputValue(), '0');
  const bare = await canvasStats(overlay());
  assert.notDeepEqual(bare, before, 'Home on the opacity slider did not change the overlay');
  await key('opacity', 'ArrowRight', 'ArrowRight', 'PageUp');
  assert.ok(Number(await card.locator('input[data-testid="opacity"]').inputValue()) > 0.05, 'arrow keys did not move the opacity slider');
  await key('opacity', 'End');

  // Area slider: Home/End switch between the smallest and the largest mask; the label follows.
  await key('area', 'Home');
  const small = await card.locator('[data-testid="area-label"]').innerText();
  await key('area', 'End');
  const large = await card.locator('[data-testid="area-label"]').innerText();
  assert.notEqual(small, large, 'the area slider did not respond to Home/End');

  // Selects: open with ArrowDown, move with ArrowDown, choose with Enter.
  const selectValue = (testid) => card.locator(`[data-testid="${testid}"]`).first().evaluate((e) => e.value);
  const mapBefore = await selectValue('colormap');
  const pixelsBefore = await canvasStats(overlay());
  await key('colormap', 'ArrowDown', 'ArrowDown', 'Enter');
  assert.notEqual(await selectValue('colormap'), mapBefore, 'the colour map select did not change by keyboard');
  assert.notDeepEqual(await canvasStats(overlay()), pixelsBefore, 'a new colour map did not redraw the overlay');
  await key('mode', 'ArrowDown', 'ArrowDown', 'Enter');
  assert.equal(await selectValue('mode'), 'threshold');
  assert.ok(await card.locator('input[data-testid="threshold"]').isVisible(), 'threshold mode did not reveal its slider');
  await key('threshold', 'ArrowRight');
  await key('mode', 'ArrowDown', 'ArrowUp', 'Enter');
  assert.equal(await selectValue('mode'), 'blend');
  // Options: overlay, preserve, delete, dual.
  await key('view', 'ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowDown', 'Enter');
  assert.equal(await selectValue('view'), 'dual');
  assert.equal(await card.locator('[data-testid="overlay-stage"] canvas').count(), 2, 'the dual view shows two pictures');
  await key('view', 'ArrowDown', 'ArrowUp', 'ArrowUp', 'ArrowUp', 'Enter');
  assert.equal(await selectValue('view'), 'overlay');

  // The settings collapsible opens with Enter; a button works with Enter.
  const settings = card.locator('vscode-collapsible[data-testid="settings"]');
  const wasOpen = await settings.evaluate((e) => e.open === true);
  await settings.evaluate((e) => e.shadowRoot.querySelector('[tabindex]')?.focus());
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
  assert.equal(await settings.evaluate((e) => e.open === true), !wasOpen, 'Enter did not toggle the settings');
  await key('copy-cli', 'Enter');
  await frame.locator('[data-testid="notice"]', { hasText: 'CLI command copied' }).waitFor({ timeout: 15_000 });
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'explain-keyboard-dark.png') });
});

test('Export: overlay PNG, mask PNG and JSON through the save dialog, consistent with each other', { timeout: 240_000 }, async () => {
  const { page, folder } = wb;
  const frame = panelFrame(page);
  const card = frame.locator('.card').first();
  const out = (f) => path.join(folder, f);
  // JSON by keyboard, the PNGs by mouse.
  await card.locator('[data-testid="export-json"]').focus();
  await page.keyboard.press('Enter');
  await saveAs(page, out('cat-extremal.json'), /\/images\/cat-extremal-281\.json$/);
  await card.locator('[data-testid="export-overlay"]').click();
  await saveAs(page, out('cat-overlay.png'), /\/images\/cat-extremal-281-overlay\.png$/);
  await card.locator('[data-testid="export-mask"]').click();
  await saveAs(page, out('cat-mask.png'), /\/images\/cat-extremal-281-mask\.png$/);

  const json = JSON.parse(fs.readFileSync(out('cat-extremal.json'), 'utf8'));
  assert.equal(json.method, 'extremal');
  assert.match(json.targetLabel, /tabby/);
  assert.equal(json.predictions.length, 5);
  assert.match(json.cli, /explain .*--method extremal/);
  const masks = json.maps.filter((m) => m.area !== undefined);
  assert.deepEqual(masks.map((m) => m.area).sort(), [...json.settings.areas].sort(), 'one mask per area');
  for (const m of masks) {
    assert.equal(m.values.length, m.width * m.height);
    assert.ok(m.values.every((v) => v >= 0 && v <= 1), `mask ${m.area} leaves [0,1]`);
  }

  const overlayPng = await sharp(out('cat-overlay.png')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([overlayPng.info.width, overlayPng.info.height], [224, 224]);
  const shown = await canvasStats(card.locator('canvas[data-testid="overlay"]').first());
  let mean = 0;
  for (let i = 0; i < overlayPng.data.length; i += overlayPng.info.channels) mean += overlayPng.data[i] + overlayPng.data[i + 1] + overlayPng.data[i + 2];
  mean /= (overlayPng.data.length / overlayPng.info.channels) * 3;
  assert.ok(Math.abs(mean - shown.mean) < 1, `the overlay PNG (mean ${mean.toFixed(2)}) is not what the panel shows (${shown.mean.toFixed(2)})`);

  // The mask PNG is the mask of the area selected in the panel (the largest, after the keyboard test), in grey.
  const maskPng = await sharp(out('cat-mask.png')).raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = maskPng.info;
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    const [r, g, b] = [maskPng.data[i * channels], maskPng.data[i * channels + 1], maskPng.data[i * channels + 2]];
    assert.ok(r === g && g === b, 'the mask PNG is not grey-scale');
    grey[i] = r / 255;
  }
  const diffs = masks.filter((m) => m.width === width && m.height === height)
    .map((m) => ({ area: m.area, maxDiff: Math.max(...m.values.map((v, i) => Math.abs(v - grey[i]))) }));
  log(`mask PNG vs JSON masks: ${diffs.map((d) => `area ${d.area}: ${d.maxDiff.toFixed(4)}`).join(', ')}`);
  const match = diffs.find((d) => d.maxDiff <= 1 / 255 + 1e-6);
  assert.ok(match, 'the mask PNG matches none of the JSON masks');
  assert.equal(match.area, Math.max(...masks.map((m) => m.area)), 'the mask PNG is not the selected (largest) area');
});

test('Compare: another class and method of the same image appear beside the first', { timeout: 600_000 }, async () => {
  const { page } = wb;
  const frame = panelFrame(page);
  await frame.locator('[data-testid="compare"]').click();
  const second = await pickExplanation(page, { classPick: (rows) => rows.filter((r) => /\d %/.test(r)).map(classLabel).find((l) => !/tabby/.test(l)), method: 'Grad-CAM' });
  log(`compare: Grad-CAM for "${second}"`);
  const cards = frame.locator('.card');
  await cards.nth(1).locator('canvas[data-testid="overlay"]').waitFor({ timeout: 300_000 });
  assert.equal(await cards.count(), 2);
  assert.match(await cards.nth(0).locator('h2').innerText(), /Extremal perturbation · .*tabby/);
  const heading = await cards.nth(1).locator('h2').innerText();
  assert.ok(heading.startsWith('Grad-CAM · ') && heading.includes(second.split(',')[0]), heading);
  const stats = await canvasStats(cards.nth(1).locator('canvas[data-testid="overlay"]').first());
  assert.ok(stats.std > 10, `the Grad-CAM overlay looks blank: ${JSON.stringify(stats)}`);
  const [a, b] = [await cards.nth(0).boundingBox(), await cards.nth(1).boundingBox()];
  log(`cards at x=${a.x.toFixed(0)} (w ${a.width.toFixed(0)}) and x=${b.x.toFixed(0)} (w ${b.width.toFixed(0)})`);
  assert.ok(Math.abs(a.y - b.y) < 2 && b.x >= a.x + a.width, `the cards are not side by side: ${JSON.stringify([a, b])}`);
  await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, 'explain-compare-dark.png') });
});

test('every text and slider in the panel is legible in high-contrast, light and dark themes', { timeout: 300_000 }, async () => {
  const { page } = wb;
  const frame = panelFrame(page);
  const themes = [
    ['Dark High Contrast', 'hc-black', 'vscode-high-contrast', 'explain-panel-hc-dark.png'],
    ['Light High Contrast', 'hc-light', 'vscode-high-contrast-light', 'explain-panel-hc-light.png'],
    ['Light Modern', 'vs', 'vscode-light', 'explain-panel-light-compare.png'],
    ['Dark Modern', 'vs-dark', 'vscode-dark', 'explain-panel-dark-compare.png'],
  ];
  const failures = [];
  for (const [label, wbClass, bodyClass, shot] of themes) {
    await switchTheme(page, label, wbClass, bodyClass);
    await page.locator('iframe.webview.ready').screenshot({ path: path.join(screenshotsDir, shot) });
    const texts = await textContrasts(frame);
    // WCAG AA: 4.5:1 for text, 3:1 for the parts of a control that show its state.
    const low = texts.filter((t) => t.error || t.ratio < (t.control ? 3 : 4.5));
    const worst = texts.filter((t) => !t.error && !t.control).sort((x, y) => x.ratio - y.ratio)[0];
    const sliders = texts.filter((t) => t.control && !t.error).map((t) => t.ratio.toFixed(2));
    log(`${label}: ${texts.length} texts and controls, lowest text contrast ${worst?.ratio.toFixed(2)}:1 ("${worst?.text}" in ${worst?.where}), sliders ${sliders.join(', ')}:1`);
    for (const t of low) failures.push(`${label}: "${t.text}" in ${t.where} ${t.error ?? `${t.ratio.toFixed(2)}:1 (${t.fg})`}`);
    assert.ok(texts.length > 30, `only ${texts.length} texts measured in ${label}`);
  }
  assert.deepEqual(failures, [], `text below 4.5:1 or sliders below 3:1 contrast:\n${failures.join('\n')}`);
});
