// UI test in the real workbench (code-server + headless chromium) for similarity overlays (issue #6): select three
// photos from ../shared/images in the explorer → right-click → "Similarity Overlay with This Model…" → model, two
// layers → the Similarity panel; hover a cell: every overlay appears, the hovered cell's similarity to itself is 1
// and it is painted yellow; leaving clears; click pins and arrow keys move the probe; the panel's own hover timings;
// screenshot to test-results/screenshots/similarity-hover-dark.png. Then, on the same panel: "Add images…" through
// VS Code's file dialog, a real drag of a photo from the explorer onto the panel (Shift held), removing an image, the
// light theme, "Export PNG…" through the save dialog, and the panel restored (images, layers, pinned probe) after a
// window reload.
// Conventions and helpers: workbench.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { explorerRow, openWorkbench, quickPick, runCommand, screenshotsDir } from './workbench.mjs';

const log = (s) => console.log(`# ${s}`);
const PHOTOS = ['robin.jpg', 'dog.jpg', 'elephant.jpg'];
const SHARED_IMAGES = path.resolve(import.meta.dirname, '..', '..', 'shared', 'images');
let wb;

/** The Similarity panel's document: of the workbench's webviews (the image preview is one too), the one with our grid. */
async function similarityFrame(page, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f.name() !== 'active-frame' && !f.url().includes('fake.html')) continue;
      if (await f.locator('[data-testid="layers"]').count().catch(() => 0)) return f;
    }
    if (Date.now() > deadline) throw new Error('no Similarity panel webview');
    await page.waitForTimeout(500);
  }
}
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

before(async () => {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  wb = await openWorkbench({ log });
  // Photos from ../shared/images next to the fixture's cat.jpg (the explorer picks them up through its watcher).
  for (const f of PHOTOS) fs.copyFileSync(path.join(SHARED_IMAGES, f), path.join(wb.folder, 'images', f));
  log(`workbench (${wb.mode}) loaded after ${secs()}`);
});

after(async () => {
  await wb?.close();
  log(`similarity UI suite total ${secs()}`);
});

test('select photos → Similarity Overlay → hover a cell: overlays on every image, self-similarity 1', { timeout: 600_000 }, async () => {
  const { page } = wb;
  await explorerRow(page, 'images').waitFor({ timeout: 90_000 });
  await explorerRow(page, 'images').click();
  const rows = PHOTOS.map((f) => explorerRow(page, f));
  await rows[2].waitFor({ timeout: 30_000 });
  // The command appears once the extension host has scanned CNN Lens: retry the menu until it does. Escape (to close
  // a menu without it) also clears the explorer's selection, so the photos are selected again on every attempt.
  const item = page.locator('.monaco-menu .action-item .action-label:text-is("Similarity Overlay with This Model…")');
  const selected = page.locator('.explorer-folders-view .monaco-list-row[aria-selected="true"]');
  for (let i = 0; ; i++) {
    // A click opens the photo's preview; once it is open the explorer reveals (selects) it, which would drop a
    // multi-selection made before: wait for the preview tab, then add the others.
    await rows[0].click();
    await page.locator('.tabs-container .tab', { hasText: PHOTOS[0] }).first().waitFor({ timeout: 60_000 });
    for (const r of rows.slice(1)) await r.click({ modifiers: ['Control'] });
    await page.waitForTimeout(500);
    if ((await selected.count()) !== PHOTOS.length) { if (i > 20) assert.fail(`${await selected.count()} explorer rows selected`); continue; }
    await rows[0].click({ button: 'right' });
    try { await item.waitFor({ timeout: 3000 }); break; } catch (e) { await page.keyboard.press('Escape'); if (i > 20) throw e; await page.waitForTimeout(1500); }
  }
  await item.click();

  const models = await quickPick(page, 'Similarity Overlay (1/2)');
  const model = models.filter({ hasText: 'mobilenet' }).first();
  await model.waitFor({ timeout: 30_000 });
  await model.click();
  const layers = await quickPick(page, 'Similarity Overlay (2/2)');
  await layers.first().waitFor({ timeout: 60_000 });
  // conv_pw_11_relu (14×14, the default) is preselected; add conv_pw_5_relu (28×28) to see two grids side by side.
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill('conv_pw_5_relu');
  // The list re-renders as the filter applies: a click that lands before it settles selects nothing. The picker's
  // count badge says when both layers are selected.
  const count = page.locator('.quick-input-widget .quick-input-count');
  for (let i = 0; ; i++) {
    await layers.filter({ hasText: 'conv_pw_5_relu' }).first().click();
    let n = '';
    for (let w = 0; w < 10 && !/\b2\b/.test(n); w++) {
      await page.waitForTimeout(200);
      n = await count.innerText().catch(() => '');
    }
    if (/\b2\b/.test(n)) break;
    if (i >= 5) assert.fail(`layer picker: "${n}" after selecting conv_pw_5_relu`);
  }
  await page.keyboard.press('Enter');
  log(`model and layers picked at ${secs()}`);

  const frame = await similarityFrame(page);
  const shot = async (name) => (await frame.parentFrame().frameElement()).screenshot({ path: path.join(screenshotsDir, name) });
  const tiles = frame.locator('[data-testid="tile"]');
  await tiles.first().waitFor({ timeout: 120_000 });
  // All tiles arrive in one message; wait a little for the rest, then say how many there are if not 6.
  await tiles.nth(5).waitFor({ timeout: 10_000 }).catch(() => {});
  assert.equal(await tiles.count(), 6, '3 images × 2 layers');
  assert.deepEqual(await frame.locator('[data-testid="layer"]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-layer-name'))), ['conv_pw_5_relu', 'conv_pw_11_relu']);
  assert.equal(await frame.locator('canvas.overlay:not([hidden])').count(), 0, 'no overlay before hovering');
  log(`panel with activations at ${secs()}: ${await frame.locator('[data-testid="status"]').innerText()}`);

  // Hover cell (7, 7) of the first photo at conv_pw_11_relu (14×14).
  const tile = frame.locator('[data-testid="tile"][data-layer="1"][data-image="0"]');
  const stage = tile.locator('.stage');
  const box = await stage.boundingBox();
  // Positions relative to the element (Playwright maps them through the nested webview iframes).
  const at = (row, col) => ({ position: { x: ((col + 0.5) * box.width) / 14, y: ((row + 0.5) * box.height) / 14 } });
  await stage.hover(at(7, 6));
  await stage.hover(at(7, 7));
  const status = frame.locator('[data-testid="status"]');
  await frame.locator('[data-testid="status"][data-probe="1:0:7,7"]').waitFor({ timeout: 10_000 });
  assert.equal(await frame.locator('canvas.overlay:not([hidden])').count(), 6, 'every image at every layer shows its overlay');
  const self = Number(await status.getAttribute('data-self-similarity'));
  assert.ok(Math.abs(self - 1) < 1e-3, `hovered cell's similarity to itself: ${self}`);
  // The hovered cell is yellow in its own overlay; the overlay is a 14×14 canvas (nearest-neighbour on screen).
  const probe = await tile.locator('canvas.overlay').evaluate((c) => ({ w: c.width, h: c.height, px: [...c.getContext('2d').getImageData(7, 7, 1, 1).data], opacity: getComputedStyle(c).opacity, rendering: getComputedStyle(c).imageRendering }));
  assert.deepEqual([probe.w, probe.h], [14, 14]);
  assert.deepEqual(probe.px, [255, 255, 0, 255]);
  assert.equal(probe.opacity, '0.7');
  assert.equal(probe.rendering, 'pixelated');
  // The same photo at conv_pw_5_relu marks the corresponding cell (14, 14) of its 28×28 grid.
  const other = await frame.locator('[data-testid="tile"][data-layer="0"][data-image="0"] canvas.overlay').evaluate((c) => [...c.getContext('2d').getImageData(14, 14, 1, 1).data]);
  assert.deepEqual(other, [255, 255, 0, 255]);
  assert.match(await tile.locator('[data-testid="tile-value"]').innerText(), /self 1\.000/);
  await shot('similarity-hover-dark.png');

  // A few more hovers across the photos, then the panel's own timings (pointer event → overlays painted).
  for (let i = 0; i < 30; i++) {
    const s = frame.locator(`[data-testid="tile"][data-layer="${i % 2}"][data-image="${i % 3}"] .stage`);
    await s.hover({ position: { x: (((i * 5) % 13) + 0.5) * box.width / 14, y: (((i * 3) % 13) + 0.5) * box.height / 14 } });
  }
  const timings = await frame.locator('body').evaluate(() => ({
    hover: performance.getEntriesByName('similarity-hover').map((e) => e.duration).sort((a, b) => a - b),
    painted: performance.getEntriesByName('similarity-painted').map((e) => e.duration).sort((a, b) => a - b),
    work: performance.getEntriesByName('similarity-work').map((e) => e.duration).sort((a, b) => a - b),
  }));
  const med = (xs) => xs[Math.floor(xs.length / 2)]?.toFixed(1);
  log(`hover timings in the workbench (3 images, 28×28×64 + 14×14×128), medians: pointer → canvases updated ${med(timings.hover)} ms, → frame painted ${med(timings.painted)} ms; handler ${med(timings.work)} ms (n=${timings.hover.length})`);
  assert.ok(timings.hover.length >= 10, 'hovers were timed');

  // Leaving clears every overlay.
  await frame.locator('[data-testid="panel-title"]').hover();
  await frame.locator('canvas.overlay:not([hidden])').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
  assert.equal(await frame.locator('canvas.overlay:not([hidden])').count(), 0, 'overlays cleared on leave');

  // Click pins the probe (it stays after leaving); arrow keys move it.
  await stage.click(at(3, 4));
  await frame.locator('[data-testid="panel-title"]').hover();
  await frame.locator('[data-testid="status"][data-probe="1:0:3,4"]').waitFor({ timeout: 5000 });
  assert.equal(await frame.locator('canvas.overlay:not([hidden])').count(), 6, 'a pinned probe stays shown');
  await tile.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await frame.locator('[data-testid="status"][data-probe="1:0:4,5"]').waitFor({ timeout: 5000 });
  assert.match(await status.innerText(), /Pinned: robin\.jpg, conv_pw_11_relu cell \(4, 5\)/);
  await shot('similarity-pinned-dark.png');
  await page.keyboard.press('Escape');
  assert.equal(await frame.locator('canvas.overlay:not([hidden])').count(), 0, 'Escape clears the pinned probe');
  log(`screenshots in ${screenshotsDir} at ${secs()}`);
});

/** Fills VS Code's simple (quick-input) file dialog with `file` once it has put in its own starting folder, and
 *  accepts. The dialog may rewrite the box while it lists that folder, so the path is filled until it stays. */
async function acceptFileDialog(page, file) {
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await box.waitFor({ timeout: 30_000 });
  for (let i = 0; i < 100 && !(await box.inputValue()).startsWith('/'); i++) await page.waitForTimeout(100);
  for (let i = 0; ; i++) {
    await box.fill(file);
    await page.waitForTimeout(700);
    if ((await box.inputValue()) === file) break;
    if (i > 10) throw new Error(`the file dialog keeps rewriting the path: "${await box.inputValue()}"`);
  }
  await box.press('Enter');
}

const names = (frame, layer) => frame.locator(`[data-testid="tile"][data-layer="${layer}"]`).evaluateAll((ts) => ts.map((t) => t.getAttribute('data-name')));
async function waitForNames(frame, want, what) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [a, b] = [await names(frame, 0), await names(frame, 1)];
    if (JSON.stringify(a) === JSON.stringify(want) && JSON.stringify(b) === JSON.stringify(want)) return;
    if (Date.now() > deadline) assert.fail(`${what}: images ${JSON.stringify(a)} / ${JSON.stringify(b)}, want ${JSON.stringify(want)}; status: ${await frame.locator('[data-testid="status"]').innerText()}`);
    await frame.page().waitForTimeout(300);
  }
}

/** Hovers cell (row, col) of a 28×28 conv_pw_5_relu tile; resolves once the panel shows that probe. */
async function hoverCell(frame, image, row, col) {
  const stage = frame.locator(`[data-testid="tile"][data-layer="0"][data-image="${image}"] .stage`);
  const box = await stage.boundingBox();
  await stage.hover({ position: { x: ((col + 0.5) * box.width) / 28, y: ((row + 0.5) * box.height) / 28 } });
  await frame.locator(`[data-testid="status"][data-probe="0:${image}:${row},${col}"]`).waitFor({ timeout: 10_000 });
  return stage;
}

/**
 * Drags the (first) explorer row `name` onto the panel's webview with Shift held, as a user does: mouse down on the
 * row, a few moves to start the drag, Shift, moves onto the panel, `during()` (still dragging over it), release.
 * Returns what `during` returned.
 */
async function dragFromExplorer(page, frame, name, during) {
  const source = explorerRow(page, name);
  await source.waitFor({ timeout: 60_000 });
  await source.scrollIntoViewIfNeeded();
  const from = await source.boundingBox();
  const to = await (await frame.parentFrame().frameElement()).boundingBox();
  const [x0, y0] = [from.x + Math.min(40, from.width / 2), from.y + from.height / 2];
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x0 + 12, y0 + 4, { steps: 3 });
  await page.keyboard.down('Shift');
  try {
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 10 });
    await page.mouse.move(to.x + to.width / 2 + 6, to.y + to.height / 2 + 6, { steps: 3 });
    const seen = during ? await during() : undefined;
    await page.mouse.up();
    return seen;
  } finally {
    await page.keyboard.up('Shift');
  }
}

test('add images (dialog and drop), remove one, light theme, export PNG, restore after reload', { timeout: 600_000 }, async () => {
  const { page } = wb;
  let frame = await similarityFrame(page);
  const shot = async (f, name) => (await f.parentFrame().frameElement()).screenshot({ path: path.join(screenshotsDir, name) });
  await waitForNames(frame, PHOTOS, 'the first test\'s panel');

  // "Add images…" → VS Code's open dialog → the fixture's cat.jpg is appended in place (2 layers × 4 images).
  await frame.locator('vscode-button[data-testid="add-images"]').click();
  await acceptFileDialog(page, path.join(wb.folder, 'images', 'cat.jpg'));
  await waitForNames(frame, [...PHOTOS, 'cat.jpg'], 'after "Add images…"');
  log(`added cat.jpg through the dialog at ${secs()}`);

  // A real drag from the explorer: press on coffee.jpg's row, move onto the panel holding Shift (without it the
  // workbench turns the webview's pointer events off during a drag, WebviewWindowDragMonitor, and the editor group
  // takes the drop), release. Playwright's Chromium intercepts the native drag and replays it (dragenter/over/drop,
  // with the explorer's own data: application/vnd.code.uri-list …) where the pointer is, into the webview's iframes.
  fs.copyFileSync(path.join(SHARED_IMAGES, 'coffee.jpg'), path.join(wb.folder, 'images', 'coffee.jpg'));
  const tabs = await page.locator('.tabs-container .tab').count();
  const highlighted = await dragFromExplorer(page, frame, 'coffee.jpg', async () => {
    await page.screenshot({ path: path.join(screenshotsDir, 'similarity-dragging-dark.png') });
    return frame.locator('body').evaluate((b) => b.classList.contains('dragging'));
  });
  assert.ok(highlighted, 'the panel highlights a drag carrying files (drop target outlined)');
  await waitForNames(frame, [...PHOTOS, 'cat.jpg', 'coffee.jpg'], 'after dragging coffee.jpg from the explorer');
  assert.equal(await page.locator('.tabs-container .tab').count(), tabs, 'the drop went to the panel, not to the editor group (no new tab)');
  await frame.locator('[data-testid="tile"][data-name="coffee.jpg"]').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshotsDir, 'similarity-dropped-dark.png') }); // the workbench around it
  // A dragged non-image (a README.md row of the explorer) is refused with a message, nothing added.
  await dragFromExplorer(page, frame, 'README.md', null);
  await frame.locator('[data-testid="status"]', { hasText: 'None of the dropped files is an image' }).waitFor({ timeout: 30_000 });
  assert.equal((await names(frame, 0)).length, 5, 'nothing added by the refused drop');
  log(`dropped coffee.jpg at ${secs()}`);

  // Remove robin.jpg (its × button): gone from both layers; the others keep their order.
  await frame.locator('[data-testid="tile"][data-layer="0"][data-name="robin.jpg"] [data-testid="remove"]').click();
  const kept = ['dog.jpg', 'elephant.jpg', 'cat.jpg', 'coffee.jpg'];
  await waitForNames(frame, kept, 'after removing robin.jpg');
  await hoverCell(frame, 3, 12, 15);
  assert.equal(await frame.locator('canvas.overlay:not([hidden])').count(), 8, '4 images × 2 layers show overlays');
  assert.ok(Math.abs(Number(await frame.locator('[data-testid="status"]').getAttribute('data-self-similarity')) - 1) < 1e-3);
  await shot(frame, 'similarity-added-dark.png');

  // Light theme: the panel follows (theme variables only), hovering still works.
  await runCommand(page, 'workbench.action.selectTheme', 'Preferences: Color Theme');
  await page.locator('.quick-input-widget .quick-input-box input').fill('Light Modern');
  await page.locator('.quick-input-list .monaco-list-row[aria-label^="Light Modern"]').first().click();
  await page.locator('.monaco-workbench.vs').waitFor({ timeout: 30_000 });
  await frame.locator('body.vscode-light').waitFor({ timeout: 30_000 });
  const colours = await frame.locator('body').evaluate((b) => ({ bg: getComputedStyle(b).backgroundColor, fg: getComputedStyle(b).color }));
  const lum = (c) => { const [r, g, b] = c.match(/\d+/g).map(Number); return 0.299 * r + 0.587 * g + 0.114 * b; };
  assert.ok(lum(colours.bg) > 200 && lum(colours.fg) < 100, `light theme colours: ${JSON.stringify(colours)}`);
  await hoverCell(frame, 1, 9, 20);
  await shot(frame, 'similarity-hover-light.png');

  // Pin a probe, then "Export PNG…" → the save dialog → a PNG of the view: the theme's background, the photos with
  // their overlays and the yellow probe cell.
  const stage = await hoverCell(frame, 0, 14, 14);
  const box = await stage.boundingBox();
  await stage.click({ position: { x: (14.5 * box.width) / 28, y: (14.5 * box.height) / 28 } });
  await frame.locator('[data-testid="status"]', { hasText: 'Pinned: dog.jpg' }).waitFor({ timeout: 10_000 });
  const target = path.join(wb.folder, 'similarity-export.png');
  await frame.locator('vscode-button[data-testid="export-png"]').click();
  await acceptFileDialog(page, target);
  await frame.locator('[data-testid="status"]', { hasText: 'Saved similarity-export.png' }).waitFor({ timeout: 30_000 });
  fs.copyFileSync(target, path.join(screenshotsDir, 'similarity-export-light.png')); // to look at
  const { data, info } = await sharp(target).raw().toBuffer({ resolveWithObject: true });
  assert.ok(info.width >= 2 * 4 * 224 && info.height >= 224, `exported ${info.width}×${info.height}: two layers of four 224 px tiles`);
  const px = (x, y) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
  assert.ok(lum(`${px(2, 2)}`) > 200, `light background in the export: ${px(2, 2)}`);
  let yellow = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    const o = i * info.channels;
    if (data[o] > 170 && data[o + 1] > 170 && data[o + 2] < 80) yellow++;
  }
  // The probe cell of each layer, enlarged to 224 px: (224/28)² and (224/14)² pixels. Yellow at opacity 0.7 over the
  // photo gives R, G ≥ 178 and B ≤ 77; the grey overlay over a photo cannot (its R − B is at most 0.3 · 255).
  assert.ok(yellow >= 0.9 * (64 + 256) && yellow <= 1.1 * (64 + 256), `${yellow} yellow pixels: the pinned probe's cells are missing from the export`);
  await shot(frame, 'similarity-pinned-light.png');
  log(`exported ${info.width}×${info.height} PNG at ${secs()}`);

  // Window reload: the serializer restores the panel from its saved state (model, layers, images, pinned probe, view)
  // and the activations are recomputed.
  const reloaded = page.waitForEvent('load', { timeout: 180_000 });
  await runCommand(page, 'workbench.action.reloadWindow', 'Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  log(`window reloaded at ${secs()}`);
  frame = await similarityFrame(page, 300_000).catch(async (e) => {
    await page.screenshot({ path: path.join(screenshotsDir, 'similarity-restore-failed.png') });
    throw e;
  });
  await waitForNames(frame, kept, 'after the reload');
  await frame.locator('[data-testid="status"][data-probe="0:0:14,14"]').waitFor({ timeout: 60_000 });
  assert.match(await frame.locator('[data-testid="status"]').innerText(), /Pinned: dog\.jpg, conv_pw_5_relu cell \(14, 14\)/);
  assert.equal(await frame.locator('canvas.overlay:not([hidden])').count(), 8, 'the pinned probe is shown again');
  await shot(frame, 'similarity-restored-light.png');
  log(`restored after reload at ${secs()}`);
});
