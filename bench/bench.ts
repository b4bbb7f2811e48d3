// `npm run bench`: runs every benchmark bundle (out/bench/*.bench.js) one after another, each in its own process so
// that memory and JIT state do not leak between them. Figures and ratios are printed by the benchmarks themselves.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const only = process.argv[2];
const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.js') && (!only || f.includes(only))).sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f.replace('.bench.js', '')}\n`);
  const r = spawnSync(process.execPath, [path.join(__dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; process.stdout.write(`(${f} exited with ${r.status})\n`); }
}
process.exitCode = failed ? 1 : 0;
