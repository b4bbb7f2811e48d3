// Builds every bundle CNN Lens ships or tests, and copies the wasm binaries the engine needs.
//   dist/extension.js        VS Code extension host entry (vscode external)
//   dist/engineWorker.js     the analysis engine, run in a worker_thread
//   dist/cli.js              the command-line interface (same engine)
//   dist/trainDemo.js        trains the bundled demo model
//   dist/webview/*.js        panel front ends (browser, IIFE)
//   out/test/unit/*.test.js  unit tests (node:test)
//   out/test/integration/*   mocha suite run inside the real extension host
//   out/bench/*.js           benchmarks
//   */extremalMaskWorker.js  the extremal loop's mask thread, next to each of the above that runs the engine
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import initWabt from 'wabt';

const root = path.dirname(new URL(import.meta.url).pathname);
const watch = process.argv.includes('--watch');
// Production build unless watching or NODE_ENV=development: the webview bundles are then minified (they load on
// every panel open; source maps are written beside them either way).
const production = !watch && process.env.NODE_ENV !== 'development';

const list = (dir, suffix) =>
  existsSync(path.join(root, dir))
    ? readdirSync(path.join(root, dir), { recursive: true })
        .filter((f) => f.endsWith(suffix))
        .map((f) => path.join(dir, f))
    : [];

// WebAssembly text sources (.wat, e.g. the extremal mask generator's SIMD kernel) are assembled by wabt and bundled
// as bytes: `import bytes from './kernel.wat'` yields a Uint8Array.
let wabt;
const watPlugin = {
  name: 'wat',
  setup(build) {
    build.onLoad({ filter: /\.wat$/ }, async (args) => {
      wabt ??= initWabt();
      const module = (await wabt).parseWat(path.basename(args.path), await readFile(args.path, 'utf8'), { simd: true });
      try {
        module.validate();
        return { contents: module.toBinary({}).buffer, loader: 'binary' };
      } finally {
        module.destroy();
      }
    });
  },
};

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // tfjs-backend-cpu marks itself side-effect free; without this esbuild drops its registration (VSCODE_HARNESS §9.11).
  ignoreAnnotations: true,
  // Native or optional packages are resolved at run time from node_modules.
  external: ['vscode', 'sharp', '@tensorflow/tfjs-node', 'mocha', 'playwright-core'],
  // The ONNX schema (src/engine/model/onnx/onnx.proto) is bundled as a string.
  loader: { '.proto': 'text' },
  plugins: [watPlugin],
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { engineWorker: 'src/engine/worker/engineWorker.ts', cli: 'src/cli/cli.ts' }, outdir: 'dist' },
];
if (existsSync(path.join(root, 'src/cli/trainDemo.ts')))
  builds.push({ ...node, entryPoints: { trainDemo: 'src/cli/trainDemo.ts' }, outdir: 'dist' });
const webviews = list('src/webview', '.main.ts');
if (webviews.length)
  builds.push({ bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: 'linked', minify: production,
    logLevel: 'warning', entryPoints: webviews, outdir: 'dist/webview', entryNames: '[name]' });
const unit = list('test/unit', '.test.ts');
if (unit.length) builds.push({ ...node, entryPoints: unit, outdir: 'out/test/unit', outbase: 'test/unit' });
const integ = list('test/integration', '.ts');
if (integ.length) builds.push({ ...node, bundle: true, entryPoints: integ, outdir: 'out/test/integration', outbase: 'test/integration' });
const bench = list('bench', '.ts');
if (bench.length) builds.push({ ...node, entryPoints: bench, outdir: 'out/bench', outbase: 'bench' });
// The extremal loop's mask thread is loaded from the directory of the bundle that runs the engine.
for (const outdir of ['dist', 'out/test/unit', 'out/bench', 'out/test/integration'])
  builds.push({ ...node, entryPoints: { extremalMaskWorker: 'src/engine/methods/extremal/maskSideWorker.ts' }, outdir });

// `ONLY=substr node esbuild.mjs` builds just the bundles with an entry point containing substr (fast, isolated).
const only = process.env.ONLY;
const selected = only
  ? builds.filter((b) => Object.values(b.entryPoints).some((e) => e.includes(only)))
      .map((b) => ({ ...b, entryPoints: Array.isArray(b.entryPoints) ? b.entryPoints.filter((e) => e.includes(only)) : b.entryPoints }))
  : builds;
mkdirSync(path.join(root, 'dist'), { recursive: true });
// The wasm backend reads its binaries relative to the bundle that loads it (ENGINE_NOTES §6.1).
const wasmDir = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) {
  for (const dest of ['dist', 'out/test/unit', 'out/bench', 'out/test/integration']) {
    mkdirSync(path.join(root, dest), { recursive: true });
    const to = path.join(root, dest, f);
    // Skip identical copies: several builds may run at once (helpers, watch mode).
    if (!existsSync(to) || statSync(to).size !== statSync(path.join(wasmDir, f)).size) cpSync(path.join(wasmDir, f), to);
  }
}

if (watch) {
  for (const b of selected) await (await esbuild.context(b)).watch();
} else {
  const t0 = Date.now();
  const results = await Promise.allSettled(selected.map((b) => esbuild.build(b)));
  const failed = results.filter((r) => r.status === 'rejected');
  console.log(`[build] ${selected.length - failed.length}/${selected.length} bundles in ${Date.now() - t0} ms`);
  if (failed.length) process.exit(1);
}
