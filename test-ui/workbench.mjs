// Helpers for the Playwright UI tests: a code-server workbench with CNN Lens loaded either from the packaged VSIX
// (default: tests exactly what ships, installed with --install-extension) or from source (HARNESS_UI_MODE=dev),
// plus the selectors of ../shared/docs/VSCODE_HARNESS.md §6.1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, repoRoot, startCodeServer, toolchain, watchExternalRequests, workbenchUrl } from '../scripts/codeserver.mjs';

export const VSIX = path.join(repoRoot, 'dist-vsix', 'cnn-lens-linux-x64.vsix');
export const screenshotsDir = path.join(repoRoot, 'test-results', 'screenshots');

/** Installs the VSIX into a throw-away extensions dir with code-server's own CLI (what a user's VS Code does). */
export function installVsix(dataDir) {
  const t = toolchain();
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} not found: run "npm run package" first`);
  const t0 = Date.now();
  const r = spawnSync(t.node, [t.codeServerEntry, '--config', path.join(dataDir, 'config.yaml'), '--user-data-dir', path.join(dataDir, 'user-data'),
    '--extensions-dir', path.join(dataDir, 'extensions'), '--install-extension', VSIX], {
    encoding: 'utf8', env: { ...process.env, EXTENSIONS_GALLERY: '{}' }, timeout: 120_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`--install-extension failed (${r.status}):\n${out}`);
  return { ms: Date.now() - t0, output: out.trim() };
}

/**
 * A workspace for the UI tests: the fixture workspace plus MobileNet (from ../shared) with its ImageNet labels as a
 * sidecar, selected through the cnnLens.model.path setting, and short optimisations so a run takes seconds.
 */
export function makeWorkspace(dataDir) {
  const ws = path.join(dataDir, 'workspace');
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'workspace'), ws, { recursive: true });
  // The fixture manifest points at ../shared by a path relative to the repository, which is wrong in this copy: the
  // UI tests use the copied MobileNet below (through the setting and discovery), not the manifest's entries.
  fs.rmSync(path.join(ws, 'cnn-lens.json'), { force: true });
  const shared = path.resolve(repoRoot, '..', 'shared', 'models');
  const model = path.join(ws, 'models', 'mobilenet');
  fs.cpSync(path.join(shared, 'mobilenet_v1_025'), model, { recursive: true });
  fs.copyFileSync(path.join(shared, 'imagenet_classes.json'), path.join(model, 'labels.json'));
  fs.writeFileSync(path.join(model, 'cnnlens.json'), JSON.stringify({ labels: 'labels.json', preprocessing: { inputRange: [-1, 1] } }));
  fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({
    'cnnLens.model.path': 'models/mobilenet/model.json',
    // Opening a file must not move the explorer's selection: tests select several images, and a late reveal of the
    // previewed one (the workbench does it asynchronously) would drop the others.
    'explorer.autoReveal': false,
    'cnnLens.explain.methodSettings': { extremal: { areas: [0.05, 0.1, 0.2], maxIter: 300, progressMapsEvery: 10 }, meaningful: { iterations: 60 } },
  }, null, 2));
  return ws;
}

export async function openWorkbench({ mode = process.env.HARNESS_UI_MODE || 'vsix', log = () => {} } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-lens-ui-'));
  const folder = makeWorkspace(dataDir);
  let install;
  if (mode === 'vsix') {
    fs.mkdirSync(path.join(dataDir, 'user-data'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'config.yaml'), 'auth: none\n');
    install = installVsix(dataDir);
    log(`installed ${path.basename(VSIX)} in ${install.ms} ms`);
  }
  const server = await startCodeServer({
    dataDir, extraArgs: mode === 'dev' ? ['--vscode-option', 'enable-smoke-test-driver'] : [],
  });
  const browser = await launchBrowser(toolchain().chromium);
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const external = watchExternalRequests(page.context());
  let url;
  if (mode === 'dev') url = workbenchUrl(server.url, { folder, extensionDevelopmentPath: repoRoot });
  else { const u = new URL(server.url); u.searchParams.set('folder', folder); url = u.toString(); }
  await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  return {
    page, folder, dataDir, mode, install, external,
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
      if (process.env.HARNESS_KEEP !== '1') fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** F1 → type the title → click the entry by command id (Enter may pick another fuzzy match). Retries while the
 *  extension host is still scanning extensions ("No matching commands"). */
export async function runCommand(page, id, title, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(`>${title}`);
    const entry = page.locator(`.quick-input-list .quick-input-list-entry[data-quick-input-id="${id}"]`);
    try {
      await entry.first().waitFor({ timeout: 3000 });
      await entry.first().click();
      return;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw e;
      await page.waitForTimeout(1000);
    }
  }
}

/** The open quick pick, once its title matches; returns its rows locator. */
export async function quickPick(page, titleText, timeoutMs = 120_000) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: titleText }).waitFor({ timeout: timeoutMs });
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
}

export function explorerRow(page, name) {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${name}"]`).first();
}

/** The Explain panel's document (webview: outer iframe served by code-server, inner #active-frame with our HTML). */
export function panelFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

export async function switchTheme(page, label, bodyClass) {
  await runCommand(page, 'workbench.action.selectTheme', 'Preferences: Color Theme');
  await page.locator('.quick-input-widget .quick-input-box input').fill(label);
  await page.locator(`.quick-input-list .monaco-list-row[aria-label^="${label}"]`).first().click();
  await page.locator(`.monaco-workbench.${bodyClass === 'vscode-light' ? 'vs' : 'vs-dark'}`).waitFor({ timeout: 30_000 });
  await panelFrame(page).locator(`body.${bodyClass}`).waitFor({ timeout: 30_000 });
}

/**
 * Types a path into VS Code's simple file dialog (what the open/save dialogs are in a browser workbench). The dialog
 * fills in its own starting path asynchronously and may rewrite the box meanwhile, so the text is typed until it stays.
 */
export async function typeIntoDialog(page, input, text) {
  for (let i = 0; i < 100 && !(await input.inputValue()).startsWith('/'); i++) await page.waitForTimeout(100);
  for (let attempt = 0; attempt < 10; attempt++) {
    await input.fill(text);
    await page.waitForTimeout(700);
    if ((await input.inputValue()) === text) return;
  }
  throw new Error(`the file dialog keeps rewriting the path: "${await input.inputValue()}"`);
}
