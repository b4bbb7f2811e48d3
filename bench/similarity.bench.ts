// Similarity overlays (issue #6): (1) the engine — activations of 8 shared photos at 224 px on the shared MobileNet,
// normalised per cell, in one request (in process: the worker runs the same code); (2) the hover kernel — the
// webview's channel-major kernel against the row-major dot product it replaced, same data, same run, as a ratio;
// (3) the hover — the built webview bundle (dist/webview/similarityPanel.main.js) in a plain headless Chromium page
// (not the workbench: same renderer, no VS Code around it) with synthetic data of the issue's size, 8 images × 28×28
// cells × 512 channels, driven by real pointer moves; the panel's own performance entries give pointer event →
// canvases updated ('similarity-hover') and pointer event → that frame painted ('similarity-painted', whose detail
// adds the handler's start and the frame's start). Budget: 16 ms. In the same page and run, a control ("floor") with
// a handler that does almost nothing is timed the same way: what Chromium itself costs between a pointer move and a
// painted change, so that the panel's own share is the difference. Moves are driven twice: lockstep (phase-locked to
// the frames, the worst case) and paced at random phases (a hand). Then a short Chromium trace per target counts the
// layouts and times the main thread and the (software) display compositor per hover.
// SIM_BENCH=kernel,hover (any subset of engine,kernel,hover) runs only those parts; SIM_HOVER_BASELINE=an earlier
// build of the panel's bundle adds it as a target (second page, same run); SIM_HOVER_CSS=… adds the panel with that
// stylesheet as a target.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { initBackend } from '../src/engine/backend/backend';
import { loadModel } from '../src/engine/model/loadModel';
import { probeChannels, toChannelMajor, weightedChannelSum } from '../src/engine/similarity/channelMajorKernel';
import { computeSimilarity } from '../src/engine/similarity/computeSimilarity';
import { cellVector, dotCells } from '../src/engine/similarity/cosineKernel';
import { fmt, time } from './timing';

const ROOT = path.resolve(__dirname, '..', '..');
const MODEL = path.resolve(ROOT, '../shared/models/mobilenet_v1_025/model.json');
const PHOTOS = ['robin.jpg', 'cat.png', 'dog.jpg', 'elephant.jpg', 'car.jpg', 'coffee.jpg', 'cameraman_gray.png', 'cat_dog.png']
  .map((f) => path.resolve(ROOT, '../shared/images', f));
const BUNDLE = path.join(ROOT, 'dist/webview/similarityPanel.main.js');
const HOVERS = 120;

function chromiumPath(): string | null {
  if (process.env.CHROMIUM && fs.existsSync(process.env.CHROMIUM)) return process.env.CHROMIUM;
  for (const dir of [process.env.VSCODE_HARNESS_CACHE, path.join(ROOT, '.vscode-test')]) {
    const f = dir && path.join(dir, 'harness.json');
    if (f && fs.existsSync(f)) { const c = JSON.parse(fs.readFileSync(f, 'utf8')).chromium; if (c && fs.existsSync(c)) return c; }
  }
  try { return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || null; } catch { return null; }
}

async function engine() {
  if (!fs.existsSync(MODEL)) { console.log('engine: skipped (../shared/models/mobilenet_v1_025 not found)'); return; }
  const b = await initBackend('auto');
  const loaded = await loadModel({ path: MODEL });
  const images = PHOTOS.map((p) => ({ kind: 'file' as const, path: p }));
  const ctx = { isCancelled: () => false, progress: () => {} };
  for (const layers of [undefined, ['conv_pw_5_relu', 'conv_pw_11_relu']]) {
    let shape = '';
    const t = await time(async () => {
      const r = await computeSimilarity(loaded, images, { layers }, ctx);
      shape = r.layers.map((l) => `${l.name} ${l.rows}×${l.cols}×${l.channels}`).join(' + ');
    }, { warmup: 1, samples: 5 });
    console.log(`engine (${b.backend}): activations of 8 photos at 224 px, ${shape}: ${fmt(t)}`);
  }
  loaded.model.dispose();
}

/** 8 images × 28×28 × 512 unit vectors, 60 % zeros (as after a ReLU), the same generator as the page's below. */
function syntheticVectors(B = 8, N = 28, D = 512): Float32Array[] {
  let seed = 1;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: B }, () => {
    const v = new Float32Array(N * N * D);
    for (let k = 0; k < N * N; k++) {
      let s = 0;
      for (let c = 0; c < D; c++) { const x = rand() < 0.6 ? 0 : rand(); v[k * D + c] = x; s += x * x; }
      const n = Math.sqrt(s) + 1e-4;
      for (let c = 0; c < D; c++) v[k * D + c] /= n;
    }
    return v;
  });
}

async function kernel() {
  const [N, D] = [28, 512];
  const cells = N * N;
  const rowMajor = syntheticVectors();
  const t0 = performance.now();
  const channelMajor = rowMajor.map((v) => toChannelMajor(v, cells, D));
  const transposeMs = performance.now() - t0;
  const outs = rowMajor.map(() => new Float32Array(cells));
  const idx = new Int32Array(D), val = new Float32Array(D);
  let i = 0;
  const probe = () => { const b = i % 8, k = (i++ * 37) % cells; return { b, row: Math.floor(k / N), col: k % N }; };
  const before = await time(() => {
    const { b, row, col } = probe();
    const p = cellVector(rowMajor[b], N, D, row, col);
    rowMajor.forEach((v, j) => dotCells(v, cells, D, p, outs[j]));
  }, { warmup: 20, samples: 200 });
  const after = await time(() => {
    const { b, row, col } = probe();
    const n = probeChannels(channelMajor[b], cells, D, row * N + col, idx, val);
    channelMajor.forEach((t, j) => weightedChannelSum(t, cells, idx, val, n, outs[j]));
  }, { warmup: 20, samples: 200 });
  // The same probe both ways: the largest difference (float32 sums in another order).
  const p = cellVector(rowMajor[3], N, D, 5, 9), ref = new Float32Array(cells);
  const n = probeChannels(channelMajor[3], cells, D, 5 * N + 9, idx, val);
  let worst = 0;
  rowMajor.forEach((v, j) => { dotCells(v, cells, D, p, ref); weightedChannelSum(channelMajor[j], cells, idx, val, n, outs[j]); for (let k = 0; k < cells; k++) worst = Math.max(worst, Math.abs(ref[k] - outs[j][k])); });
  console.log(`hover kernel in Node ${process.versions.node} (V8, as in the webview), 8 maps of 28×28 × 512 channels, 60 % zeros:`);
  console.log(`  row-major dot products (before): ${fmt(before)}`);
  console.log(`  channel-major, non-zero probe channels (now): ${fmt(after)}; ${(before.min / after.min).toFixed(1)}× faster (min), ${(before.median / after.median).toFixed(1)}× (median); max |difference| ${worst.toExponential(1)}; one-off transpose of 8 images ${transposeMs.toFixed(0)} ms`);
}

const pct = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
const stats = (xs: number[]) => `median ${pct(xs, 0.5).toFixed(1)}, p95 ${pct(xs, 0.95).toFixed(1)}, max ${xs[xs.length - 1].toFixed(1)} ms`;

/** One measured hover: pointer event time, handler start and end, frame start (rAF time), painted (all page clock). */
interface Hover { since: number; handlerStart: number; handlerMs: number; frame: number; painted: number }
interface Sample { hovers: Hover[]; updated: number[]; compute: number[] }

/** The figures of one target: the three latencies' distributions and the share painted in the dispatch frame. */
function summary(s: Sample) {
  const toPainted = sorted(s.hovers.map((h) => h.painted - h.since));
  const dispatchToPainted = sorted(s.hovers.map((h) => h.painted - h.handlerStart));
  const handler = sorted(s.hovers.map((h) => h.handlerMs));
  // The rAF requested by the handler ran in a frame that had begun before the handler started: the handler ran inside
  // that frame's input phase, so its canvases are in that very frame (no frame skipped).
  const sameFrame = s.hovers.filter((h) => h.frame <= h.handlerStart).length / Math.max(1, s.hovers.length);
  // …and that frame's work (input, rAF, style, layout, paint) was over within one 60 Hz interval of its start.
  const inInterval = s.hovers.filter((h) => h.frame <= h.handlerStart && h.painted - h.frame <= 1000 / 60).length / Math.max(1, s.hovers.length);
  return { toPainted, dispatchToPainted, handler, updated: sorted(s.updated), compute: sorted(s.compute), sameFrame, inInterval, n: s.hovers.length };
}

/**
 * The control ("floor"): a box of a tile's size below the panel, in the same page, whose pointermove handler only moves
 * a 1-px element to the cell under the pointer, timed exactly as the panel times its hovers (same entries, same rAF +
 * message after the frame). What it measures is what any page pays between a pointer move and a painted change.
 */
function installControl(size: { width: number; height: number }) {
  const box = document.createElement('div');
  box.id = 'control';
  box.style.cssText = `position: relative; width: ${size.width}px; height: ${size.height}px; margin: 16px; background: #333; touch-action: none`;
  const dot = document.createElement('div');
  dot.style.cssText = 'position: absolute; left: 0; top: 0; width: 1px; height: 1px; background: #fff';
  box.append(dot);
  document.body.append(box);
  const done = new MessageChannel();
  done.port2.onmessage = (e: MessageEvent<{ since: number; handlerStart: number; frame: number }>) =>
    performance.measure('control-painted', { start: e.data.since, end: performance.now(), detail: { handlerStart: e.data.handlerStart, frame: e.data.frame } });
  let rect: DOMRect | null = null, last = -1;
  box.addEventListener('pointermove', (e) => {
    rect ??= box.getBoundingClientRect();
    const row = Math.floor((28 * (e.clientY - rect.top)) / rect.height), col = Math.floor((28 * (e.clientX - rect.left)) / rect.width);
    if (row * 28 + col === last) return;
    last = row * 28 + col;
    const t0 = performance.now();
    dot.style.left = `${col}px`;
    dot.style.top = `${row}px`;
    const end = performance.now();
    performance.measure('control-hover', { start: e.timeStamp, end });
    performance.measure('control-work', { start: t0, end });
    performance.measure('control-compute', { start: t0, end: t0 });
    requestAnimationFrame((frame) => done.port1.postMessage({ since: e.timeStamp, handlerStart: t0, frame }));
  });
}

/** The entries of `prefix` (similarity | control) whose pointer event fell in one of `windows` [from, to]. */
function collect(prefix: string, windows: [number, number][]): Sample {
  const inside = (t: number) => windows.some(([a, b]) => t >= a && t <= b);
  const byName = (n: string) => performance.getEntriesByName(`${prefix}-${n}`) as PerformanceMeasure[];
  const work = byName('work'), hover = byName('hover');
  const handlerMs = new Map(work.map((w) => [w.startTime, w.duration]));
  const hovers = byName('painted').filter((p) => inside(p.startTime)).map((p) => {
    const d = p.detail as { handlerStart: number; frame: number };
    return { since: p.startTime, handlerStart: d.handlerStart, handlerMs: handlerMs.get(d.handlerStart) ?? NaN, frame: d.frame, painted: p.startTime + p.duration };
  });
  // work and compute start together (the handler's start); hover starts at the pointer event.
  const computeMs = new Map(byName('compute').map((c) => [c.startTime, c.duration]));
  return { hovers, updated: hover.filter((h) => inside(h.startTime)).map((h) => h.duration),
    compute: hovers.map((h) => computeMs.get(h.handlerStart) ?? NaN) };
}

/** A page with the panel's bundle showing 8 synthetic images, and the control box below it. */
async function openPanel(browser: import('playwright-core').Browser, bundle: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.setContent('<!DOCTYPE html><html><body><main id="app"></main></body></html>');
  await page.evaluate(() => {
    (window as unknown as { acquireVsCodeApi: unknown }).acquireVsCodeApi = () => ({ postMessage() {}, getState() { return undefined; }, setState() {} });
  });
  await page.addScriptTag({ path: bundle });
  // 8 images × 28×28 × 512 random non-negative unit vectors (12.8 MB), made in the page by syntheticVectors (the
  // function's own source: it uses nothing outside itself), posted as the extension would.
  await page.evaluate(`window.syntheticVectors = ${syntheticVectors.toString()}`);
  await page.evaluate(() => {
    const N = 28, D = 512;
    const vectors = (window as unknown as { syntheticVectors: () => Float32Array[] }).syntheticVectors();
    const images = vectors.map((v, b) => {
      const rgb = new Uint8Array(224 * 224 * 3);
      for (let i = 0; i < rgb.length; i++) rgb[i] = (i * (b + 3)) & 255;
      return { id: `img${b}`, name: `synthetic-${b}.png`, path: `/tmp/synthetic-${b}.png`, width: 224, height: 224, rgb, vectors: [v] };
    });
    window.postMessage({ type: 'load', model: { name: 'synthetic', spec: { path: '/tmp/model.json' } }, layers: [{ name: 'synthetic_28x28x512', rows: N, cols: N, channels: D, nonNegative: true }],
      images, append: false, elapsedMs: 0, backend: 'none' }, '*');
  });
  const tiles = page.locator('[data-testid=tile]');
  await tiles.nth(7).waitFor();
  const boxes = await Promise.all([0, 3, 5, 7].map(async (i) => (await tiles.nth(i).locator('.stage').boundingBox())!));
  await page.evaluate(`(${installControl.toString()})(${JSON.stringify({ width: boxes[0].width, height: boxes[0].height })})`);
  const control = (await page.locator('#control').boundingBox())!;
  if (control.y + control.height > 1000) throw new Error(`the control box is outside the viewport: ${JSON.stringify(control)}`);
  await page.evaluate(`window.collect = ${collect.toString()}`);
  return { page, boxes, control };
}

async function hover() {
  const exe = chromiumPath();
  if (!exe) { console.log('hover: skipped (no chromium; run npm run provision or set CHROMIUM)'); return; }
  if (!fs.existsSync(BUNDLE)) { console.log(`hover: skipped (${BUNDLE} missing: npm run build)`); return; }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
  try {
    const { page, boxes, control } = await openPanel(browser, BUNDLE);
    // SIM_HOVER_BASELINE=path/to/an/earlier/similarityPanel.main.js: a "baseline" target, that build in a second page
    // of the same browser, driven in alternation with the others (a change compared with its predecessor in one run).
    const baselineBundle = process.env.SIM_HOVER_BASELINE;
    const baseline = baselineBundle ? await openPanel(browser, path.resolve(baselineBundle)) : null;
    // Warm-up (JIT) on both, then the measured moves; each lands on a different cell.
    for (const p of baseline ? [baseline.page, page] : [page]) {
      await p.bringToFront();
      for (const b of [boxes[0], control, boxes[1], control]) for (let i = 0; i < 20; i++) await p.mouse.move(b.x + 5 + i * 3, b.y + 5 + i * 2);
    }
    console.log(`hover in Chromium ${browser.version()}, 8 images × 28×28 × 512, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores:`);
    console.log('  "floor" = a control in the same page, driven by the same moves and timed the same way, whose handler only moves a');
    console.log('  1-px element: Chromium\'s own cost (frame-aligned pointermove waits for the next frame, then that frame\'s paint).');
    console.log('  "panel" = the Similarity panel (compute 8 maps + write 8 canvases); panel − floor = what the panel adds.');
    // Two drives: "lockstep" sends each move as soon as the previous one was handled, which phase-locks the moves to
    // the frames (each lands just after a frame and waits almost a whole one for Chromium's frame-aligned pointermove);
    // "paced" waits a seeded random 0–16.7 ms between moves, as a hand's moves arrive at random phases of the frame.
    // The targets alternate in blocks of 15 moves (the load of the machine changes during a run); the first moves of
    // a block (entering the box, which clears the panel's overlays on leaving it) are not counted.
    // SIM_HOVER_CSS="…": a third target, the panel with this stylesheet added (a style change tried in the same run).
    const variantCss = process.env.SIM_HOVER_CSS;
    const targets = ['panel', 'floor', ...(variantCss ? ['panel+css'] : []), ...(baseline ? ['baseline'] : [])] as const;
    if (variantCss) console.log(`  "panel+css" = the panel with SIM_HOVER_CSS added: ${variantCss}`);
    if (baseline) console.log(`  "baseline" = the panel built from ${baselineBundle}, in a second page (brought to front for its blocks)`);
    type Target = (typeof targets)[number];
    const pageOf = (t: Target) => (t === 'baseline' ? baseline!.page : page);
    const setCss = (css: string | null) => page.evaluate((text) => {
      const id = 'bench-variant';
      document.getElementById(id)?.remove();
      if (text) { const st = document.createElement('style'); st.id = id; st.textContent = text; document.head.append(st); }
    }, css);
    for (const paced of [false, true]) {
      let seed = 12345;
      const jitter = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed / 2147483648) * 16.7; };
      const windows = new Map<Target, [number, number][]>(targets.map((t) => [t, []]));
      for (let block = 0; block < 8 * targets.length; block++) {
        const target = targets[block % targets.length];
        await setCss(target === 'panel+css' ? variantCss! : null);
        const p = pageOf(target);
        await p.bringToFront();
        const at = (i: number) => {
          const b = target === 'floor' ? control : boxes[i % boxes.length];
          return [b.x + ((((i * 7) % 28) + 0.5) * b.width) / 28, b.y + ((((i * 11) % 28) + 0.5) * b.height) / 28] as const;
        };
        for (let i = 0; i < 3; i++) await p.mouse.move(...at(100 + i));
        await p.waitForTimeout(50);
        const from = await p.evaluate(() => performance.now());
        for (let i = 0; i < HOVERS / 8; i++) {
          if (paced) await p.waitForTimeout(jitter());
          await p.mouse.move(...at(Math.floor(block / targets.length) * 1000 + i));
        }
        windows.get(target)!.push([from, await p.evaluate(() => performance.now())]);
      }
      await page.bringToFront();
      await page.waitForTimeout(100);
      const results = await Promise.all(targets.map(async (t) => summary(await pageOf(t).evaluate(([prefix, w]) =>
        (window as unknown as { collect: typeof collect }).collect(prefix, w), [t === 'floor' ? 'control' : 'similarity', windows.get(t)!] as const))));
      const [panel, floor] = results;
      await setCss(null);
      await page.mouse.move(boxes[0].x + boxes[0].width / 2, boxes[0].y + boxes[0].height / 2);
      const self = await page.locator('[data-testid=status]').getAttribute('data-self-similarity');
      console.log(` ${paced ? 'paced (random phase)' : 'lockstep'}: n = ${results.map((r, i) => `${r.n} ${targets[i]}`).join(', ')} hovers`);
      const row = (label: string, f: (s: ReturnType<typeof summary>) => number[]) =>
        console.log(`  ${label.padEnd(36)} ${results.map((r, i) => `${targets[i]} ${stats(f(r))}`.padEnd(48)).join(' ')}`);
      row('pointer event → frame painted:', (s) => s.toPainted);
      row('handler start → frame painted:', (s) => s.dispatchToPainted);
      row('handler (compute + canvases / 1 px):', (s) => s.handler);
      row('pointer event → canvases updated:', (s) => s.updated);
      console.log(`  panel's compute alone: ${stats(panel.compute)}`);
      const added = (r: ReturnType<typeof summary>, q: number) => (pct(r.toPainted, q) - pct(floor.toPainted, q)).toFixed(1);
      console.log(`  BROWSER's part (floor, pointer → painted): median ${pct(floor.toPainted, 0.5).toFixed(1)}, p95 ${pct(floor.toPainted, 0.95).toFixed(1)} ms;` +
        ` PANEL's added latency over it: median ${added(panel, 0.5)}, p95 ${added(panel, 0.95)} ms` +
        results.slice(2).map((r, i) => ` (${targets[i + 2]}: median ${added(r, 0.5)}, p95 ${added(r, 0.95)} ms)`).join(''));
      const share = (x: number) => `${(100 * x).toFixed(0)} %`;
      console.log(`  painted in the frame the pointer event was dispatched in (no frame skipped): ${results.map((r, i) => `${targets[i]} ${share(r.sameFrame)}`).join(', ')};` +
        ` that frame done within 16.7 ms of its start: ${results.map((r, i) => `${targets[i]} ${share(r.inInterval)}`).join(', ')}`);
      const p50 = pct(panel.toPainted, 0.5), p95 = pct(panel.toPainted, 0.95);
      console.log(`  budget 16 ms (pointer → painted): ${p50 <= 16 ? 'met' : 'MISSED'} at the median, ${p95 <= 16 ? 'met' : 'missed'} at p95` +
        ` (the floor alone: ${pct(floor.toPainted, 0.5) <= 16 ? 'met' : 'missed'} / ${pct(floor.toPainted, 0.95) <= 16 ? 'met' : 'missed'}); hovered cell's self-similarity ${Number(self).toFixed(4)}`);
    }
    // Where the frames' time goes, from a Chromium trace of 40 lockstep moves per target: counts (layouts per hover) do
    // not depend on the machine's load, durations do (and tracing slows everything a little).
    console.log(' trace (40 lockstep moves each, in rounds of 10; per hover: the renderer\'s main thread handling input events and making');
    console.log(' the frame, its layouts (2 = one forced in a handler by a read after a change), the compositor drawing it in software');
    console.log(' (--disable-gpu; this comes after the \'painted\' mark, so it is not in the latencies above)):');
    type TraceEvent = { name: string; ph: string; dur?: number };
    const traced = new Map<Target, TraceEvent[]>();
    for (let round = 0; round < 4; round++) {
      for (const t of targets.filter((x) => x !== 'panel+css')) {
        const p = pageOf(t);
        await p.bringToFront();
        const b = (i: number) => (t === 'floor' ? control : boxes[i % boxes.length]);
        const move = (i: number) => p.mouse.move(b(i).x + ((((i * 7) % 28) + 0.5) * b(i).width) / 28, b(i).y + ((((i * 11) % 28) + 0.5) * b(i).height) / 28);
        for (let i = 0; i < 3; i++) await move(500 + i);
        await browser.startTracing(p, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'viz', 'cc', 'blink'] });
        for (let i = 0; i < 10; i++) await move(2000 + 10 * round + i);
        const events = (JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] }).traceEvents;
        traced.set(t, [...(traced.get(t) ?? []), ...events.filter((e) => e.ph === 'X')]);
      }
    }
    for (const [t, events] of traced) {
      const durations = (name: string) => sorted(events.filter((e) => e.name === name).map((e) => (e.dur ?? 0) / 1000));
      const perHover = (name: string) => durations(name).reduce((a, x) => a + x, 0) / 40;
      console.log(`  ${t.padEnd(9)} main thread: input events ${perHover('EventDispatch').toFixed(1)} ms, frame median ${pct(durations('ProxyMain::BeginMainFrame'), 0.5).toFixed(1)} ms;` +
        ` layouts ${(durations('Layout').length / 40).toFixed(1)}; compositor draw median ${pct(durations('Display::DrawAndSwap'), 0.5).toFixed(1)} ms`);
    }
  } finally {
    await browser.close();
  }
}

async function main() {
  const parts = (process.env.SIM_BENCH ?? 'engine,kernel,hover').split(',');
  if (parts.includes('engine')) await engine();
  if (parts.includes('kernel')) await kernel();
  if (parts.includes('hover')) await hover();
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
