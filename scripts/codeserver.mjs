// Runs an extension's tests inside a real VS Code extension host: code-server (VS Code 1.139 server, on the
// provisioned Node 24) plus headless Debian chromium driven by playwright-core (docs/VSCODE_HARNESS.md §2, §4.1).
// Used by scripts/code-shim.mjs; the toolchain comes from scripts/provision.sh's harness.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import util from 'node:util';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function harnessCache() {
  const c = process.env.VSCODE_HARNESS_CACHE;
  return c ? path.resolve(c) : path.join(repoRoot, '.vscode-test');
}

/** The provisioned binaries: { node, codeServerEntry, chromium, … } from harness.json. */
export function toolchain() {
  const file = path.join(harnessCache(), 'harness.json');
  if (!fs.existsSync(file))
    throw new Error(`${file} not found: run "npm run provision" (scripts/provision.sh) with the same VSCODE_HARNESS_CACHE first.`);
  const t = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const k of ['node', 'codeServerEntry', 'chromium'])
    if (!t[k] || !fs.existsSync(t[k])) throw new Error(`${k} (${t[k]}) listed in ${file} is missing: re-run provisioning.`);
  return t;
}

/** User settings for a quiet, offline workbench (§4.1, §8). */
export const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
};

/** The host environment minus variables that would make code-server act as a client of another VS Code. */
function cleanEnv(extra) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  return { ...env, ...extra };
}

/**
 * Starts code-server on a random loopback port with throw-away dirs under dataDir.
 * Returns { url, proc, logFile, stop() }. `env` reaches the extension host (it inherits code-server's environment).
 */
export async function startCodeServer({ dataDir, env = {}, extraArgs = [], onOutput }) {
  const t = toolchain();
  const userData = path.join(dataDir, 'user-data');
  const tmp = path.join(dataDir, 'tmp'); // the server leaves vscode-ipc-*.sock files in TMPDIR (§4.1)
  for (const d of [path.join(userData, 'User'), path.join(dataDir, 'extensions'), tmp]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const config = path.join(dataDir, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n'); // without --config, code-server writes ~/.config/code-server with a password

  const args = [t.codeServerEntry,
    '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--config', config,
    '--user-data-dir', userData, '--extensions-dir', path.join(dataDir, 'extensions'),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    ...extraArgs];
  let cmd = t.node;
  let argv = args;
  if (process.env.HARNESS_STRACE) {
    cmd = 'strace';
    argv = ['-f', '-e', 'trace=connect', '-o', path.resolve(process.env.HARNESS_STRACE), t.node, ...args];
  }
  const logFile = path.join(dataDir, 'code-server.log');
  const logStream = fs.createWriteStream(logFile);
  // detached: its own process group, so stop() also ends the extension host, pty host and engine workers.
  const proc = spawn(cmd, argv, {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv({ ...env, TMPDIR: tmp, EXTENSIONS_GALLERY: '{}' }),
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));

  const url = await new Promise((resolve, reject) => {
    let head = '';
    let found = false;
    const timer = setTimeout(() => reject(new Error(`code-server did not listen within 60 s; see ${logFile}`)), 60_000);
    const onData = (d) => {
      logStream.write(d);
      onOutput?.(d.toString());
      if (found) return;
      head += d.toString();
      const m = /HTTP server listening on (http:\/\/\S+)/.exec(head);
      if (m) { found = true; clearTimeout(timer); resolve(m[1]); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`code-server exited (${code ?? sig}) before listening:\n${head.slice(-2000)}`));
    });
  });

  async function stop() {
    const kill = (sig) => { try { process.kill(-proc.pid, sig); } catch { /* group already gone */ } };
    if (proc.exitCode === null && proc.signalCode === null) {
      kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    kill('SIGKILL'); // stragglers in the group (extension host children) outlive the main process
    await new Promise((r) => logStream.end(r));
  }
  return { url, proc, logFile, stop };
}

/** Headless Debian chromium; flags keep it quiet and offline (§4.1 B, §8). */
export async function launchBrowser(executablePath) {
  const { chromium } = createRequire(import.meta.url)('playwright-core');
  return chromium.launch({
    executablePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      // No name resolves except loopback: whatever the workbench tries, it cannot leave the machine.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
  });
}

/** The workbench URL with the dev-extension options in `payload`, the only channel a web workbench reads (§2.1). */
export function workbenchUrl(base, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const url = new URL(base);
  const remote = (p) => `vscode-remote://${url.host}${pathToFileURL(p).pathname}`;
  url.searchParams.set('folder', folder);
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)], ['skipWelcome', 'true']];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  url.searchParams.set('payload', JSON.stringify(payload));
  return url.toString();
}

/**
 * Records every browser request (pages, iframes, workers) that is not to loopback. Webview resources
 * (`*.vscode-resource.vscode-cdn.net`) are not counted: the webview's service worker answers them from the server.
 */
export function watchExternalRequests(context) {
  const seen = [];
  context.on('request', (req) => {
    const u = req.url();
    if (!/^https?:|^wss?:/.test(u)) return;
    const h = new URL(u).hostname;
    if (h.endsWith('.vscode-resource.vscode-cdn.net')) return;
    if (h !== '127.0.0.1' && h !== 'localhost' && h !== '[::1]') seen.push(u);
  });
  return seen;
}

/** The remote extension host's log under a code-server user-data dir, if one was written. */
export function extHostLog(dataDir) {
  const logs = path.join(dataDir, 'user-data', 'logs');
  if (!fs.existsSync(logs)) return null;
  for (const session of fs.readdirSync(logs).sort().reverse()) {
    const f = path.join(logs, session, 'exthost1', 'remoteexthost.log');
    if (fs.existsSync(f)) return f;
  }
  return null;
}

/**
 * Opens `folder` in a fresh code-server workbench with the extension under development and its test runner,
 * and resolves with the extension host's exit code: 0 = tests passed, 124 = timeout, 130 = aborted.
 * Lines the test runner tags "[mocha] " are printed; HARNESS_VERBOSE=1 prints every workbench/extension-host
 * log line, =2 adds the browser console.
 */
export async function runWorkbenchTests({
  extensionDevelopmentPath, extensionTestsPath, folder, env = {}, timeoutMs = 300_000, verbose = 0, keep = false,
  logsDir, extraArgs = [], signal, print = (l) => console.log(l),
}) {
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-lens-code-server-'));
  let server;
  let browser;
  let code = 1;
  let timer;
  try {
    server = await startCodeServer({
      dataDir, env,
      // Without the smoke-test driver a built workbench ignores the payload's dev options (§2.2).
      extraArgs: ['--vscode-option', 'enable-smoke-test-driver', ...extraArgs],
      onOutput: verbose ? (s) => process.stdout.write(`[code-server] ${s}`) : undefined,
    });
    print(`[harness] code-server up at ${server.url} after ${secs()}s`);
    browser = await launchBrowser(toolchain().chromium);
    const page = await browser.newPage();
    const external = watchExternalRequests(page.context());
    let onExit;
    const exited = new Promise((r) => { onExit = r; });
    await page.exposeFunction('codeAutomationExit', (exitCode, logs) => {
      if (logsDir && Array.isArray(logs)) {
        for (const { relativePath, contents } of logs) {
          const f = path.join(logsDir, 'workbench', relativePath);
          fs.mkdirSync(path.dirname(f), { recursive: true });
          fs.writeFileSync(f, contents);
        }
      }
      onExit(exitCode);
    });
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = util.format(...(Array.isArray(args) ? args : [args]));
      if (line.startsWith('[mocha] ')) print(line.slice(8));
      else if (verbose) print(`[workbench:${type}] ${line}`);
    });
    if (verbose >= 2) page.on('console', (m) => print(`[browser:${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => verbose && print(`[browser:pageerror] ${e.message}`));

    const url = workbenchUrl(server.url, { folder, extensionDevelopmentPath, extensionTestsPath });
    const aborted = new Promise((r) => signal?.addEventListener('abort', () => r('abort'), { once: true }));
    const timedOut = new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
    const loaded = page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    const first = await Promise.race([loaded.then(() => 'loaded'), exited, aborted, timedOut]);
    if (first === 'loaded') print(`[harness] workbench loaded after ${secs()}s`);
    const r = first === 'loaded' ? await Promise.race([exited, aborted, timedOut]) : first;
    if (r === 'timeout') {
      print(`[harness] TIMEOUT: no result after ${timeoutMs / 1000}s (HARNESS_TIMEOUT_MS)`);
      code = 124;
    } else if (r === 'abort') {
      print('[harness] aborted');
      code = 130;
    } else {
      code = Number(r);
      print(`[harness] extension host exited with ${code} after ${secs()}s`);
    }
    if (external.length) print(`[harness] WARNING: ${external.length} browser request(s) left loopback (blocked): ${[...new Set(external)].slice(0, 5).join(' ')}`);
  } catch (e) {
    print(`[harness] ERROR: ${e instanceof Error ? e.stack : e}`);
    code = code === 0 ? 1 : code;
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    await server?.stop();
    if (code !== 0 && logsDir) {
      // Keep the server-side logs of a failed run where CI can pick them up.
      fs.mkdirSync(logsDir, { recursive: true });
      const ext = extHostLog(dataDir);
      if (ext) fs.copyFileSync(ext, path.join(logsDir, 'remoteexthost.log'));
      if (server) fs.copyFileSync(server.logFile, path.join(logsDir, 'code-server.log'));
    }
    if (keep) print(`[harness] kept ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return code;
}
