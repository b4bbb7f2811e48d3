#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests (docs/VSCODE_HARNESS.md §5).
// runTests spawns it with Electron switches; this keeps only --extensionDevelopmentPath=, --extensionTestsPath= and
// the folder argument, runs the tests in code-server + headless chromium, and exits with the extension host's code.
// Environment: HARNESS_TIMEOUT_MS (default 1200000), HARNESS_VERBOSE=1|2, HARNESS_KEEP=1, HARNESS_LOGS_DIR,
// HARNESS_CS_ARGS="extra code-server flags", HARNESS_STRACE=file. Everything else is passed on to the extension host.
import path from 'node:path';
import { runWorkbenchTests } from './codeserver.mjs';

const args = process.argv.slice(2);
const values = (name) => args.filter((a) => a.startsWith(`--${name}=`)).map((a) => path.resolve(a.slice(name.length + 3)));
const devPaths = values('extensionDevelopmentPath');
const [testsPath] = values('extensionTestsPath');
// Flags VS Code would understand are ignored; the first bare argument is the folder to open.
const folder = args.find((a) => !a.startsWith('-'));

if (devPaths.length !== 1 || !testsPath || !folder) {
  console.error('usage: code-shim.mjs <folder> --extensionDevelopmentPath=<dir> --extensionTestsPath=<file> [ignored VS Code flags]');
  console.error('(exactly one extension development path is supported)');
  process.exit(2);
}

const abort = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => abort.abort());

const code = await runWorkbenchTests({
  extensionDevelopmentPath: devPaths[0],
  extensionTestsPath: testsPath,
  folder: path.resolve(folder),
  timeoutMs: Number(process.env.HARNESS_TIMEOUT_MS) || 1_200_000, // the whole suite (real Slurm jobs included) on a loaded 2-core machine
  verbose: Number(process.env.HARNESS_VERBOSE) || 0,
  keep: process.env.HARNESS_KEEP === '1',
  logsDir: process.env.HARNESS_LOGS_DIR,
  extraArgs: (process.env.HARNESS_CS_ARGS ?? '').split(/\s+/).filter(Boolean),
  signal: abort.signal,
});
process.exit(code);
