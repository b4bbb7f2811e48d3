// UI test in the real workbench (code-server + headless chromium) for similarity overlays (issue #6): select three
// photos from ../shared/images in the explorer → right-click → "Similarity Overlay with This Model…" → model, two
// layers → the Similarity panel; hover a cell: every overlay appears, the hovered cell's similarity to itself is 1
// and it is painted yellow; leaving clears; click pins and arrow keys move the probe; the panel's own hover timings;
// screenshot to test-results/screenshots/similarity-hover-dark.png. Conventions and helpers: workbench.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { explorerRow, openWorkbench, quickPick, screenshotsDir } from './workbench.mjs';

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
  await rows[0].click();
  for (const r of rows.slice(1)) await r.click({ modifiers: ['Control'] });
  // The command appears once the extension host has scanned CNN Lens: retry the menu until it does.
  const item = page.locator('.monaco-menu .action-item .action-label:text-is("Similarity Overlay with This Model…")');
  for (let i = 0; ; i++) {
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
  await layers.filter({ hasText: 'conv_pw_5_relu' }).first().click();
  await page.keyboard.press('Enter');
  log(`model and layers picked at ${secs()}`);

  const frame = await similarityFrame(page);
  const shot = async (name) => (await frame.parentFrame().frameElement()).screenshot({ path: path.join(screenshotsDir, name) });
  const tiles = frame.locator('[data-testid="tile"]');
  await tiles.nth(5).waitFor({ timeout: 120_000 });
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
    work: performance.getEntriesByName('similarity-work').map((e) => e.duration).sort((a, b) => a - b),
  }));
  const med = (xs) => xs[Math.floor(xs.length / 2)]?.toFixed(1);
  log(`hover timings in the workbench (3 images, 28×28×64 + 14×14×128): pointer → painted median ${med(timings.hover)} ms, handler median ${med(timings.work)} ms (n=${timings.hover.length})`);
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
