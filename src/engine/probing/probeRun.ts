// Concept probing end to end (METHODS.md §5): dataset → layer activations (cached) → per-filter thresholds →
// NetDissect / single-filter IoU pass → per concept, the Net2Vec segmentation and classification probes, the
// filters-needed curve and the concept embeddings' nearest neighbours.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readBroden } from '../datasets/brodenReader';
import { readConceptFolders } from '../datasets/conceptFolders';
import { SeededRandom } from '../datasets/seededRandom';
import { CancelledError, EngineError } from '../errors';
import type { EngineModel, Preprocessing } from '../model/modelTypes';
import { extractActivations, layerShape, type ActivationStore } from './activationStore';
import { averagePrecision } from './averagePrecision';
import { scoreClassification, trainClassificationProbe, balancedSample, type ClassificationData } from './classificationProbe';
import { ConceptEmbeddings } from './conceptEmbeddings';
import { categoriesWithLabels, conceptMask, labelsPresent } from './conceptMasks';
import { TopValues } from './filterThresholds';
import { filtersNeeded } from './filtersNeeded';
import { DissectAccumulator } from './netDissect';
import type { ProbeDataset } from './probeDataset';
import { binarizeInto, pooledFeatures, type ProbeSamples } from './probeSamples';
import { checkTraining, CLASSIFICATION_DEFAULTS, SEGMENTATION_DEFAULTS, type ProbeTraining } from './probeSettings';
import type { DatasetSpec, FilterWeight, ProbeConceptResult, ProbeResult, ProbeScores, ProbeSettingsInput } from './probeTypes';
import { scoreSegmentation, trainSegmentationProbe } from './segmentationProbe';
import { checkProbeJob, jobFiles, type ProbeJobSpec } from '../jobs/probeJobSpec';
import { runStatsPhase } from '../jobs/probeStatsPhase';
import { openConceptsPhase } from '../jobs/probeConceptsPhase';
import { valExamples } from './valExamples';

export interface ProbeContext {
  isCancelled(): boolean;
  progress(p: { step: number; total: number; message?: string }): void;
}

export interface ResolvedProbeSettings {
  layer: string;
  kind: 'segmentation' | 'classification' | 'both';
  quantile: number;
  segmentation: ProbeTraining;
  classification: ProbeTraining;
  filtersNeeded: boolean;
  fraction: number;
  batchSize: number;
  cacheDir?: string;
  neighbours: number;
  /** A task of a sharded probe job (issue #9, src/engine/jobs); absent for an ordinary run. */
  job?: ProbeJobSpec;
}

export function resolveProbeSettings(s: ProbeSettingsInput): ResolvedProbeSettings {
  const bad = (m: string) => new EngineError('BAD_ARGUMENT', m);
  if (!s || typeof s.layer !== 'string' || !s.layer) throw bad('probe needs a layer name');
  const kind = s.kind ?? 'both';
  if (!['segmentation', 'classification', 'both'].includes(kind)) throw bad(`kind is segmentation, classification or both (got '${kind}')`);
  const quantile = s.quantile ?? 0.005;
  if (!(quantile > 0 && quantile < 1)) throw bad(`quantile must be in (0, 1), got ${quantile}`);
  const fraction = s.fraction ?? 0.9;
  if (!(fraction > 0 && fraction <= 1)) throw bad(`fraction must be in (0, 1], got ${fraction}`);
  const neighbours = s.neighbours ?? 5;
  if (!Number.isInteger(neighbours) || neighbours < 0) throw bad(`neighbours must be a non-negative integer, got ${neighbours}`);
  const batchSize = s.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw bad(`batchSize must be a positive integer, got ${batchSize}`);
  return {
    layer: s.layer, kind, quantile, fraction, neighbours, batchSize, cacheDir: s.cacheDir,
    filtersNeeded: s.filtersNeeded ?? true,
    segmentation: checkTraining({ ...SEGMENTATION_DEFAULTS, ...s.segmentation }, 'segmentation probe'),
    classification: checkTraining({ ...CLASSIFICATION_DEFAULTS, ...s.classification }, 'classification probe'),
    ...('job' in s && s.job !== undefined ? { job: checkProbeJob(s.job) } : {}),
  };
}

export async function openDataset(spec: DatasetSpec, s: ProbeSettingsInput): Promise<ProbeDataset> {
  const root = path.resolve(spec.path);
  const format = spec.format ?? 'auto';
  const broden = format === 'broden' || (format === 'auto' && fs.existsSync(path.join(root, 'index.csv')));
  if (broden) return readBroden(root, { concepts: s.concepts, categories: s.categories });
  if (s.categories?.length) throw new EngineError('BAD_ARGUMENT', 'categories apply to Broden datasets; a concept-folders dataset has one category.');
  return readConceptFolders(root, { concepts: s.concepts, segmentationSize: s.segmentationSize, valFraction: s.valFraction });
}

/** Per-image annotations decoded once and kept within a byte budget (label PNGs are slow to decode again). */
class MaskCache {
  private readonly masks = new Map<number, Map<number, Uint8Array>>();
  private bytes = 0;
  constructor(private readonly dataset: ProbeDataset, private readonly budget = 512 * 2 ** 20) {}

  keep(image: number, byConcept: Map<number, Uint8Array>): void {
    let size = 0;
    for (const m of byConcept.values()) size += m.length;
    if (this.bytes + size > this.budget) return;
    this.masks.set(image, byConcept);
    this.bytes += size;
  }

  async get(image: number, conceptIndex: number): Promise<Uint8Array> {
    const hit = this.masks.get(image)?.get(conceptIndex);
    if (hit) return hit;
    const labels = await this.dataset.loadLabels(image);
    const im = this.dataset.images[image];
    return conceptMask(labels, this.dataset.concepts[conceptIndex], im.sh * im.sw, 'firstCategory');
  }
}

const topFilters = (w: Float32Array, n = 5): FilterWeight[] =>
  Array.from(w.keys()).sort((a, b) => Math.abs(w[b]) - Math.abs(w[a])).slice(0, n).map((f) => ({ filter: f, weight: w[f] }));

async function computeThresholds(store: ActivationStore, quantile: number, ctx: ProbeContext): Promise<Float32Array> {
  const cached = store.meta.thresholds?.[String(quantile)];
  if (cached) return Float32Array.from(cached);
  const { n, h, w, k } = store.meta;
  const top = TopValues.forQuantile(k, n * h * w, quantile);
  const chunk = 64;
  for (let i = 0; i < n; i += chunk) {
    if (ctx.isCancelled()) throw new CancelledError();
    top.addInterleaved(store.read(i, Math.min(chunk, n - i)));
    await new Promise((r) => setImmediate(r));
  }
  const t = top.thresholds();
  store.saveThresholds(quantile, t);
  return t;
}

export async function runProbe(
  model: EngineModel, preprocessing: Preprocessing, modelPath: string, dataset: ProbeDataset,
  settings: ResolvedProbeSettings, ctx: ProbeContext, backend = '',
): Promise<ProbeResult> {
  const t0 = performance.now();
  const n = dataset.images.length;
  const concepts = dataset.concepts;
  if (!concepts.length) throw new EngineError('BAD_ARGUMENT', `No concepts to probe in ${dataset.root}.`);
  // Progress: n images of activations, n of the dissection pass, then one step per concept.
  const total = 2 * n + concepts.length;

  // Sharded jobs (issue #9): the stats phase is a pass of its own; the concepts phase supplies the job's activations
  // and merged thresholds, runs only the concepts its shard owns, and records each one as it finishes.
  if (settings.job?.phase === 'stats') {
    const st = await runStatsPhase(settings.job, {
      model, modelPath, preprocessing, dataset, layer: settings.layer, quantile: settings.quantile, batchSize: settings.batchSize,
      isCancelled: ctx.isCancelled, progress: (done, all) => ctx.progress({ step: done, total: all, message: `activations ${done}/${all}` }),
    });
    const train = dataset.images.filter((im) => im.split === 'train').length;
    const [h, w, k] = layerShape(model, settings.layer);
    return {
      backend, model: { name: model.info.name, path: modelPath }, layer: settings.layer,
      dataset: { path: dataset.root, format: dataset.format, images: n, train, val: n - train },
      activations: { h, w, filters: k, cached: st.computed === 0, seconds: st.seconds, imagesPerSecond: st.computed ? st.computed / st.seconds : null, cacheFile: jobFiles(settings.job.dir).activations },
      quantile: settings.quantile, thresholds: [], units: [], concepts: [], settings: { ...settings }, elapsedMs: performance.now() - t0,
      timings: { activations: st.seconds, thresholds: 0, dissection: 0, probes: 0 },
    };
  }
  const job = settings.job ? openConceptsPhase(settings.job, model, modelPath, preprocessing, dataset, settings) : undefined;
  const ex = job ? { store: job.store, cached: true, seconds: 0 } : await extractActivations({
    model, modelPath, preprocessing, layer: settings.layer, dataset, cacheDir: settings.cacheDir, batchSize: settings.batchSize,
    isCancelled: ctx.isCancelled, onProgress: (done) => ctx.progress({ step: done, total, message: `activations ${done}/${n}` }),
  });
  const store = ex.store;
  try {
    const { h, w, k } = store.meta;
    const t1 = performance.now();
    const thresholds = job ? job.thresholds : await computeThresholds(store, settings.quantile, ctx);
    const t2 = performance.now();

    // One pass over the dataset: presence of every concept, NetDissect sums, pooled features, masks kept for the probes.
    const conceptIndex = new Map(concepts.map((c, i) => [c.number, i]));
    const present: number[][] = [];
    const dissect = new DissectAccumulator(concepts, k, thresholds);
    const masks = new MaskCache(dataset);
    const binary = new Uint8Array(h * w * k);
    const features: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      if (ctx.isCancelled()) throw new CancelledError();
      const im = dataset.images[i];
      const labels = await dataset.loadLabels(i);
      const here = [...labelsPresent(labels)].map((num) => conceptIndex.get(num)).filter((c): c is number => c !== undefined && (!job || job.owns(c))).sort((a, b) => a - b);
      present.push(here);
      const size = im.sh * im.sw;
      const first = here.map((ci) => conceptMask(labels, concepts[ci], size, 'firstCategory'));
      const acts = store.read(i);
      dissect.add({
        acts, split: im.split, sh: im.sh, sw: im.sw, present: here, masksFirst: first,
        masksAny: here.map((ci) => conceptMask(labels, concepts[ci], size, 'any')), categories: categoriesWithLabels(labels),
      }, h, w);
      masks.keep(i, new Map(here.map((ci, j) => [ci, first[j]])));
      binarizeInto(acts, thresholds, binary, 0);
      features.push(pooledFeatures({ n: 1, h, w, k, binary }, 'avg'));
      ctx.progress({ step: n + i + 1, total, message: `dissection ${i + 1}/${n}` });
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    const dissection = dissect.results();
    const t3 = performance.now();

    const cls: ClassificationData = { k, features: new Float32Array(n * k), labels: new Uint8Array(n) };
    features.forEach((f, i) => cls.features.set(f, i * k));
    const segEmb = new ConceptEmbeddings();
    const clsEmb = new ConceptEmbeddings();
    const results: ProbeConceptResult[] = [];
    const doSeg = settings.kind !== 'classification';
    const doCls = settings.kind !== 'segmentation';

    for (let ci = 0; ci < concepts.length; ci++) {
      const c = concepts[ci];
      if (job && !job.owns(ci)) continue;
      const prior = job?.done(ci);
      if (prior) {
        results.push(prior);
        if (prior.segmentation) segEmb.add(prior.concept, prior.segmentation.weights);
        if (prior.classification) clsEmb.add(prior.concept, prior.classification.weights);
        continue;
      }
      const containing = present.map((p, i) => (p.includes(ci) ? i : -1)).filter((i) => i >= 0);
      const trainPos = containing.filter((i) => dataset.images[i].split === 'train');
      const valPos = containing.filter((i) => dataset.images[i].split === 'val');
      const d = dissection.concepts[ci];
      const r: ProbeConceptResult = {
        concept: c.name, number: c.number, category: c.primary, trainImages: trainPos.length, valImages: valPos.length,
        netDissect: { filter: d.netDissect.filter, iou: d.netDissect.val }, notes: [],
      };
      results.push(r);
      if (!trainPos.length || !valPos.length) {
        r.notes.push(`needs images with the concept in both splits (train ${trainPos.length}, val ${valPos.length})`);
        ctx.progress({ step: 2 * n + ci + 1, total, message: `concept ${c.name} skipped` });
        job?.record(ci, r);
        continue;
      }
      if (doSeg) {
        if (c.pixelLevel === false) r.notes.push('segmentation skipped: some images of the concept have no mask');
        else {
          const sizes = new Set(containing.map((i) => `${dataset.images[i].sh}x${dataset.images[i].sw}`));
          if (sizes.size > 1) r.notes.push(`segmentation skipped: label maps of different sizes (${[...sizes].join(', ')})`);
          else r.segmentation = await segmentationFor(ci, trainPos, valPos, d.single);
        }
      }
      if (doCls) {
        const negPool = (i: number) => !present[i].includes(ci) && (!dataset.negatives || dataset.negatives.has(i));
        const trainNeg = dataset.images.map((im, i) => (im.split === 'train' && negPool(i) ? i : -1)).filter((i) => i >= 0);
        const valNeg = dataset.images.map((im, i) => (im.split === 'val' && negPool(i) ? i : -1)).filter((i) => i >= 0);
        if (!trainNeg.length || !valNeg.length) r.notes.push(`classification skipped: needs negatives in both splits (train ${trainNeg.length}, val ${valNeg.length})`);
        else r.classification = classificationFor(ci, trainPos, valPos, trainNeg, valNeg);
      }
      job?.record(ci, r);
      ctx.progress({ step: 2 * n + ci + 1, total, message: `concept ${c.name}` });
      await new Promise((res) => setImmediate(res));
    }
    for (const r of results) {
      if (r.segmentation) r.segmentation.nearest = segEmb.nearest(r.concept, settings.neighbours);
      if (r.classification) r.classification.nearest = clsEmb.nearest(r.concept, settings.neighbours);
    }
    const t4 = performance.now();
    const train = dataset.images.filter((im) => im.split === 'train').length;
    const result: ProbeResult = {
      backend, model: { name: model.info.name, path: modelPath }, layer: settings.layer,
      dataset: { path: dataset.root, format: dataset.format, images: n, train, val: n - train },
      activations: { h, w, filters: k, cached: ex.cached, seconds: ex.seconds, imagesPerSecond: ex.cached ? null : n / ex.seconds, cacheFile: store.file },
      quantile: settings.quantile, thresholds: Array.from(thresholds), units: dissection.units, concepts: results,
      settings: { ...settings }, elapsedMs: performance.now() - t0,
      timings: { activations: (t1 - t0) / 1000, thresholds: (t2 - t1) / 1000, dissection: (t3 - t2) / 1000, probes: (t4 - t3) / 1000 },
    };
    if (job) { const { concepts: _c, units, ...frame } = result; job.finish({ units, frame }); }
    return result;

    async function samplesOf(images: number[], ci: number): Promise<ProbeSamples> {
      const { sh, sw } = dataset.images[images[0]];
      const s: ProbeSamples = { n: images.length, h, w, k, sh, sw, binary: new Uint8Array(images.length * h * w * k), targets: new Uint8Array(images.length * sh * sw) };
      for (let j = 0; j < images.length; j++) {
        binarizeInto(store.read(images[j]), thresholds, s.binary, j * h * w * k);
        s.targets!.set(await masks.get(images[j], ci), j * sh * sw);
      }
      return s;
    }

    /**
     * A concept's own initialisation (and sampling) seed: N2V trains one probe per concept, each from a fresh random
     * init. One shared init would make every embedding start equal, so short trainings would look alike (cosine ≈ 1).
     * The label number keeps it stable when probing a subset of the concepts.
     */
    function conceptTraining(t: ProbeTraining, ci: number): ProbeTraining { return { ...t, seed: t.seed + concepts[ci].number }; }

    async function segmentationFor(ci: number, trainPos: number[], valPos: number[], single: { filter: number; val: number }): Promise<ProbeScores> {
      const t = conceptTraining(settings.segmentation, ci);
      const train = await samplesOf(trainPos, ci);
      const val = await samplesOf(valPos, ci);
      const probe = trainSegmentationProbe(train, t, { isCancelled: ctx.isCancelled });
      const score = scoreSegmentation(val, probe.weights, probe.bias);
      segEmb.add(concepts[ci].name, probe.weights);
      const out: ProbeScores = {
        metric: 'iou', bestFilter: single.filter, bestFilterScore: single.val, score: score.iou,
        gain: score.iou - single.val, gainRatio: single.val > 0 ? score.iou / single.val : null,
        secondary: score.meanImageIou, topFilters: topFilters(probe.weights), nearest: [], weights: Array.from(probe.weights), losses: probe.losses,
        examples: valExamples(val, probe, valPos.map((i) => dataset.images[i])),
      };
      if (settings.filtersNeeded) {
        const fn = filtersNeeded('segmentation', { weights: probe.weights, score: score.iou }, (mask) => {
          const p = trainSegmentationProbe(train, t, { filterMask: mask, isCancelled: ctx.isCancelled });
          return scoreSegmentation(val, p.weights, p.bias).iou;
        }, settings.fraction);
        out.curve = fn.curve;
        out.filtersNeeded = fn.needed;
      }
      return out;
    }

    function classificationFor(ci: number, trainPos: number[], valPos: number[], trainNeg: number[], valNeg: number[]): ProbeScores {
      const t = conceptTraining(settings.classification, ci);
      cls.labels.fill(0);
      for (let i = 0; i < n; i++) if (present[i].includes(ci)) cls.labels[i] = 1;
      // The val set is balanced once (§5.6).
      const valSet = balancedSample(valPos, valNeg, new SeededRandom(t.seed + 2));
      const probe = trainClassificationProbe(cls, { positives: trainPos, negatives: trainNeg }, t, { isCancelled: ctx.isCancelled });
      const score = scoreClassification(cls, valSet, probe.weights, probe.bias);
      // Best single filter: the AP of its pooled binary map, chosen on all train images, reported on the val set.
      const trainAll = [...trainPos, ...trainNeg];
      let best = 0;
      let bestAp = -1;
      for (let f = 0; f < k; f++) {
        const ap = averagePrecision(trainAll.map((i) => cls.features[i * k + f]), trainAll.map((i) => cls.labels[i]));
        if (ap > bestAp) { bestAp = ap; best = f; }
      }
      const single = averagePrecision(valSet.map((i) => cls.features[i * k + best]), valSet.map((i) => cls.labels[i]));
      clsEmb.add(concepts[ci].name, probe.weights);
      const out: ProbeScores = {
        metric: 'ap', bestFilter: best, bestFilterScore: single, score: score.ap, gain: score.ap - single,
        gainRatio: single > 0 ? score.ap / single : null, secondary: score.accuracy,
        topFilters: topFilters(probe.weights), nearest: [], weights: Array.from(probe.weights), losses: probe.losses,
      };
      if (settings.filtersNeeded) {
        const fn = filtersNeeded('classification', { weights: probe.weights, score: score.accuracy }, (mask) => {
          const p = trainClassificationProbe(cls, { positives: trainPos, negatives: trainNeg }, t, { filterMask: mask, isCancelled: ctx.isCancelled });
          return scoreClassification(cls, valSet, p.weights, p.bias).accuracy;
        }, settings.fraction);
        out.curve = fn.curve;
        out.filtersNeeded = fn.needed;
      }
      return out;
    }
  } finally {
    store.close();
    job?.close();
  }
}
