// `npm run test:integration`: runs the mocha suite in out/test/integration inside a real VS Code extension host,
// through @vscode/test-electron's runTests with scripts/code-shim.mjs as the "VS Code executable" (code-server +
// headless chromium, docs/VSCODE_HARNESS.md §4–5). Needs `npm run build` and scripts/provision.sh first.
// Prints mocha's lines, then the closing line "N passed, N failed[, N skipped]"; exits non-zero on any failure.
// Overrides: HARNESS_WORKSPACE, HARNESS_EXT_DEV_PATH, HARNESS_EXT_TESTS_PATH, HARNESS_GREP (mocha grep),
// plus the code-shim.mjs variables (HARNESS_TIMEOUT_MS, HARNESS_VERBOSE, HARNESS_KEEP, …).
import fs from 'node:fs';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot, toolchain } from './codeserver.mjs';

const t0 = Date.now();
const fromEnv = (name, fallback) => path.resolve(process.env[name] || fallback);
const extensionDevelopmentPath = fromEnv('HARNESS_EXT_DEV_PATH', repoRoot);
const extensionTestsPath = fromEnv('HARNESS_EXT_TESTS_PATH', path.join(repoRoot, 'out/test/integration/suite/index.js'));
const workspace = fromEnv('HARNESS_WORKSPACE', path.join(repoRoot, 'test/fixtures/workspace'));
const resultsDir = path.join(repoRoot, 'test-results');
const resultsFile = path.join(resultsDir, 'integration-results.json');
const logsDir = path.join(resultsDir, 'integration-logs');
const shim = path.join(repoRoot, 'scripts/code-shim.mjs');

function finish(passed, failed, skipped, exitCode) {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(exitCode);
}

const needed = [path.join(extensionDevelopmentPath, 'dist/extension.js'), path.join(extensionDevelopmentPath, 'dist/engineWorker.js'), extensionTestsPath];
const missing = needed.filter((f) => !fs.existsSync(f));
try {
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run "npm run build" first.`);
  toolchain(); // fails early, with the provisioning hint, when the harness is not there
} catch (e) {
  console.log(`[harness] ${e.message}`);
  finish(0, 1, 0, 1);
}

fs.rmSync(resultsFile, { force: true });
fs.rmSync(logsDir, { recursive: true, force: true });
fs.mkdirSync(resultsDir, { recursive: true });
fs.chmodSync(shim, 0o755); // runTests execs it directly; a checkout may not keep the mode

let exitCode = 0;
try {
  await runTests({
    vscodeExecutablePath: shim,
    extensionDevelopmentPath,
    extensionTestsPath,
    launchArgs: [workspace],
    // Reaches the shim's environment, then code-server's, which the extension host inherits.
    extensionTestsEnv: { HARNESS_RESULTS_FILE: resultsFile, HARNESS_LOGS_DIR: logsDir },
  });
} catch (e) {
  exitCode = typeof e?.code === 'number' && e.code !== 0 ? e.code : 1;
  console.log(`[harness] ${e?.message ?? e}`);
}

let results = null;
try {
  results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
} catch {
  console.log(`[harness] no results file (${resultsFile}): the suite did not complete; logs in ${logsDir}`);
}
if (results?.failed?.length) {
  console.log('FAILED:');
  for (const f of results.failed) console.log(`  ${f.title}\n    ${String(f.error).split('\n').join('\n    ')}`);
}
if (exitCode !== 0) console.log(`[harness] logs of the failed run: ${logsDir}`);
console.log(`[harness] total ${((Date.now() - t0) / 1000).toFixed(1)}s`);
const passed = results?.passes ?? 0;
// A run that failed without reporting a failed test (crash, timeout, load error) still counts as one failure.
const failed = Math.max(results?.failures ?? 0, exitCode !== 0 ? 1 : 0);
finish(passed, failed, results?.pending ?? 0, exitCode !== 0 || failed ? exitCode || 1 : 0);
