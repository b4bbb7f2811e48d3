// Test-runner entry that VS Code's extension host loads from extensionTestsPath (docs/VSCODE_HARNESS.md §4.2).
// Runs every out/test/integration/**/*.test.js with mocha, tags reporter lines "[mocha] " so the launcher can pick
// them out of the workbench log, and writes a JSON summary to $HARNESS_RESULTS_FILE.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

interface FailedTest { title: string; error: string }

const FIRST = ['extension.test.js', 'models.codelens.test.js'];
const rank = (f: string) => { const i = FIRST.findIndex((n) => f.endsWith(n)); return i < 0 ? FIRST.length : i; };

function testFiles(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.js'))
    // extension.test.js first: it checks the extension is not active before any command runs. models.codelens next: its
    // link-flow test answers quick inputs blindly and timed out after the explain suites had run (state they leave in
    // the shared workbench, not yet identified; it passes on its own and before them).
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((f) => path.join(root, f));
}

export function run(): Promise<void> {
  // The extension host's console goes to the workbench log; the tag lets the launcher print just mocha's lines.
  (Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void }).consoleLog =
    (...a: unknown[]) => console.log('[mocha] ' + format(...a));
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, grep: process.env.HARNESS_GREP || undefined });
  const root = path.resolve(__dirname, '..');
  for (const f of testFiles(root)) mocha.addFile(f);

  const failed: FailedTest[] = [];
  const writeResults = (r: { passes: number; failures: number; pending: number }) => {
    const file = process.env.HARNESS_RESULTS_FILE;
    if (file) fs.writeFileSync(file, JSON.stringify({ ...r, failed }, null, 2));
  };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        writeResults({ passes: runner.stats?.passes ?? 0, failures, pending: runner.stats?.pending ?? 0 });
        if (failures) reject(new Error(`${failures} tests failed.`));
        else resolve();
      });
      runner.on('fail', (test, err: Error) => failed.push({ title: test.fullTitle(), error: err?.stack ?? String(err) }));
    } catch (e) {
      // A test file that throws while loading: report it as one failure instead of a silent empty run.
      failed.push({ title: 'loading the test files', error: e instanceof Error ? e.stack ?? e.message : String(e) });
      writeResults({ passes: 0, failures: 1, pending: 0 });
      reject(e);
    }
  });
}
