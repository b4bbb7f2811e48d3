// Concept probing on the synthetic world (Broden format, 224-pixel images, 112-pixel label maps) with the shared
// MobileNet v1 0.25: activation-extraction throughput (images per second, uncached) and Net2Vec probe training
// time per concept, segmentation and classification timed separately (reference settings, then with the filters-needed
// retraining).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/engine/backend/backend';
import { writeBroden } from '../src/engine/datasets/brodenWriter';
import { generateWorld } from '../src/engine/datasets/syntheticWorld';
import { resolvePreprocessing } from '../src/engine/image/resolvePreprocessing';
import { loadModel } from '../src/engine/model/loadModel';
import { openDataset, resolveProbeSettings, runProbe } from '../src/engine/probing/probeRun';
import type { ProbeScores } from '../src/engine/probing/probeTypes';

const MODEL = '../shared/models/mobilenet_v1_025/model.json';
const IMAGES = Number(process.env.PROBE_BENCH_IMAGES ?? 120);
const LAYER = process.env.PROBE_BENCH_LAYER ?? 'conv_pw_11_relu';
// Concepts present in some images only, so both probes have positives and negatives.
const CONCEPTS = ['red', 'blue', 'circle', 'stripes'];

async function main() {
  if (!fs.existsSync(MODEL)) { console.log('skipped: ../shared/models/mobilenet_v1_025 not found'); return; }
  const info = await initBackend('auto');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-probe-bench-'));
  try {
    const t0 = performance.now();
    await writeBroden(path.join(dir, 'broden'), generateWorld(3, IMAGES, { size: 224 }));
    console.log(`backend ${info.backend}; synthetic world ${IMAGES} images at 224 px written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const loaded = await loadModel({ path: MODEL, preprocessing: { inputRange: [-1, 1] } });
    const pre = resolvePreprocessing(loaded.preprocessing, loaded.model.info.inputShape);
    const ctx = { isCancelled: () => false, progress: () => undefined };
    for (const curve of [false, true]) {
      // One run per probe kind, so each kind's training time is measured on its own (activations cached after the first).
      const runs: Partial<Record<'segmentation' | 'classification', Awaited<ReturnType<typeof runProbe>>>> = {};
      for (const kind of ['segmentation', 'classification'] as const) {
        const input = { layer: LAYER, concepts: CONCEPTS, cacheDir: path.join(dir, 'cache'), filtersNeeded: curve, kind };
        const ds = await openDataset({ path: path.join(dir, 'broden') }, input);
        const r = await runProbe(loaded.model, pre, MODEL, ds, resolveProbeSettings(input), ctx, info.backend);
        runs[kind] = r;
        const a = r.activations;
        if (!a.cached) console.log(`activations ${LAYER} ${a.h}×${a.w}×${a.filters}: ${a.imagesPerSecond!.toFixed(1)} images/s (batch 16, incl. decoding); ` +
          `thresholds ${r.timings.thresholds.toFixed(2)} s; dissection pass ${r.timings.dissection.toFixed(1)} s (${(IMAGES / r.timings.dissection).toFixed(1)} images/s)`);
      }
      const seg = runs.segmentation!, cls = runs.classification!;
      const per = (r: typeof seg) => (r.timings.probes / CONCEPTS.length).toFixed(2);
      console.log(`probes${curve ? ' + filters-needed curve' : ''}, per concept: segmentation ${per(seg)} s, classification ${per(cls)} s ` +
        `(30 epochs; ${CONCEPTS.length} concepts, timed in separate runs on cached activations)`);
      const score = (s: ProbeScores | undefined, m: string) => (s ? `${m} ${s.score.toFixed(3)} (best filter ${s.bestFilterScore.toFixed(3)})` : `no ${m}`);
      for (const [i, c] of seg.concepts.entries()) {
        const k = cls.concepts[i];
        const notes = [...new Set([...c.notes, ...k.notes])];
        console.log(`  ${c.concept.padEnd(8)} seg ${score(c.segmentation, 'IoU')}, cls ${score(k.classification, 'AP')}${notes.length ? `; ${notes.join('; ')}` : ''}`);
      }
    }
    loaded.model.dispose();
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

main().catch((e) => { console.error(e); process.exit(1); });
