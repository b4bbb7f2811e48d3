// Runs the pointing game (METHODS.md §4) over a VOC or COCO-annotated image folder: every (image, class present)
// pair is explained by each method through a callback (the engine worker or the CLI supplies it), scored with the
// hit rule, and aggregated per class for the "all" and "difficult" subsets, with the centre baseline alongside.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CancelledError, EngineError } from '../errors';
import { objectMask, readCocoAnnotations } from '../datasets/cocoAnnotations';
import { readVocAnnotations, VOC_CLASSES } from '../datasets/vocAnnotations';
import { chooseTarget, readClassMap, type ClassMap } from './classMap';
import {
  aggregate, allDifficult, centrePoint, DEFAULT_TOLERANCE, difficultByRule, inDifficultList, isHit, parseDifficultList,
  pointOnImage, regionArea, regionFromBoxes, regionFromMasks, type Outcome, type Region, type SaliencyMap, type SubsetScore,
} from './pointingGame';

/** Explains `targetIndex` on the image with `method`; any map size (it is resized to the image, §4.1). */
export type ExplainFn = (imagePath: string, targetIndex: number, method: string) => Promise<SaliencyMap>;

export const CENTRE = 'center';

export interface PointingGameOptions {
  /** Folder holding the image files named by the annotations. */
  images: string;
  /** VOC: an .xml file, a folder of them, or a VOC root with `Annotations/`. COCO: an instances .json file. */
  annotations: string;
  /** Class map file (`{ "<dataset class>": [model indices…] }`) or an already parsed map. */
  classMap: string | ClassMap;
  /** Method names passed to `explain` (the centre baseline is always added). */
  methods: readonly string[];
  /** Writes `pointing.json` and `pointing.csv` there when given. */
  out?: string;
  /** Hit tolerance in original-image pixels (default 15). */
  tolerance?: number;
  /** Zhang et al.'s difficult-pair list (§4.3); without it the subset follows the rule the list was built with. */
  difficultList?: string;
  /** VOC only: a file of image ids, one per line (e.g. `ImageSets/Main/test.txt`), to evaluate just those. */
  imageSet?: string;
  /** Evaluate only the first N images (quick runs). */
  limit?: number;
  /** The model's number of outputs, to check the class map's indices. */
  numClasses?: number;
  /** The model's scores on an image; used to pick among several model indices of one class (see chooseTarget). */
  classScores?: (imagePath: string) => Promise<ArrayLike<number>>;
  onProgress?: (p: { done: number; total: number; image: string }) => void;
  isCancelled?: () => boolean;
  /** Sharded, resumable runs (src/engine/jobs): see ShardHook. */
  shard?: ShardHook;
}

/** Everything of a result that is not per image: what merging shards' image records needs to rebuild it. */
export interface PointingMeta {
  dataset: 'voc' | 'coco';
  tolerance: number;
  classes: string[];
  methods: string[];
  difficultSource: 'list' | 'rule';
  targetRule: string;
}

/** One evaluated image: its position in the dataset's order, its pairs, and its classes absent from the class map. */
export interface ImageRecord { index: number; image: string; pairs: PairRecord[]; unmapped: string[] }

/**
 * Called once the inputs are read and checked, with the metadata and every image (after `limit`) in order. Returns
 * which images this run evaluates, the records of those already done (resumed, not recomputed) and a callback
 * that receives each newly finished image before the next one starts.
 */
export type ShardHook = (plan: { meta: PointingMeta; images: string[] }) => {
  include: (image: string) => boolean;
  done: ReadonlyMap<string, ImageRecord>;
  onImage: (record: ImageRecord) => void;
};

export interface PairRecord {
  image: string;
  className: string;
  /** Model index explained (null when the pair was skipped). */
  target: number | null;
  difficult: boolean;
  /** Skipped (outcome 0): VOC, every box of the class is flagged difficult (§4.2). */
  skipped: boolean;
  points: Record<string, { x: number; y: number; hit: boolean }>;
}

export interface PointingGameResult {
  dataset: 'voc' | 'coco';
  tolerance: number;
  /** Dataset classes scored (the class map's, in its order); the mean is over all of them (§4.4). */
  classes: string[];
  /** `center` first, then the requested methods. */
  methods: string[];
  images: number;
  pairs: { all: number; difficult: number; skipped: number };
  difficultSource: 'list' | 'rule';
  targetRule: string;
  /** Classes annotated in the images but absent from the class map (not scored). */
  unmappedClasses: string[];
  scores: Record<string, { all: SubsetScore; difficult: SubsetScore }>;
  details: PairRecord[];
}

/** One image with, per annotated class, a lazily built region and the VOC all-difficult flag. */
interface GtImage {
  file: string;
  width: number;
  height: number;
  classes: Map<string, { region: () => Region; allDifficult: boolean }>;
}

async function loadGroundTruth(o: PointingGameOptions): Promise<{ dataset: 'voc' | 'coco'; images: GtImage[]; columns: readonly string[] }> {
  if (o.annotations.toLowerCase().endsWith('.json')) {
    if (o.imageSet) throw new EngineError('BAD_ARGUMENT', 'imageSet applies to VOC annotations only');
    const coco = await readCocoAnnotations(o.annotations);
    const images = coco.images.map((im) => {
      const byClass = new Map<string, typeof im.objects>();
      for (const obj of im.objects) byClass.set(obj.name, [...(byClass.get(obj.name) ?? []), obj]);
      const classes = new Map([...byClass].map(([name, objs]) => [name, {
        region: () => regionFromMasks(objs.map((ob) => objectMask(ob, im.width, im.height)), im.width, im.height),
        allDifficult: false,
      }]));
      return { file: im.fileName, width: im.width, height: im.height, classes };
    });
    return { dataset: 'coco', images, columns: coco.categories };
  }
  let ids: string[] | undefined;
  if (o.imageSet) {
    try { ids = (await fs.readFile(o.imageSet, 'utf8')).split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean); } catch {
      throw new EngineError('BAD_ARGUMENT', `Cannot read the image set "${o.imageSet}".`);
    }
  }
  const voc = await readVocAnnotations(o.annotations, ids);
  const images = voc.map((a) => {
    const byClass = new Map<string, typeof a.objects>();
    for (const obj of a.objects) byClass.set(obj.name, [...(byClass.get(obj.name) ?? []), obj]);
    const classes = new Map([...byClass].map(([name, objs]) => [name, {
      // The union includes difficult boxes (§4.2).
      region: () => regionFromBoxes(objs.map((ob) => ob.box), a.width, a.height),
      allDifficult: allDifficult(objs),
    }]));
    return { file: a.filename, width: a.width, height: a.height, classes };
  });
  return { dataset: 'voc', images, columns: VOC_CLASSES };
}

function checkOptions(o: PointingGameOptions): { methods: string[]; tolerance: number } {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) throw new EngineError('BAD_ARGUMENT', `tolerance must be a positive number of pixels, got ${tolerance}`);
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) throw new EngineError('BAD_ARGUMENT', `limit must be a positive integer, got ${o.limit}`);
  const methods = [...new Set(o.methods.map((m) => m.trim()).filter((m) => m && m !== CENTRE && m !== 'centre'))];
  return { methods, tolerance };
}

/** Runs the benchmark. Inputs (annotations, class map, image files, lists) are all checked before the first explanation. */
export async function runPointingGame(options: PointingGameOptions, explain: ExplainFn): Promise<PointingGameResult> {
  const { methods, tolerance } = checkOptions(options);
  const classMap = typeof options.classMap === 'string' ? await readClassMap(options.classMap, options.numClasses) : options.classMap;
  const classes = [...classMap.keys()];
  const gt = await loadGroundTruth(options);
  const listed = options.limit ? gt.images.slice(0, options.limit) : gt.images;

  // Difficult-list columns follow the dataset's class order (§4.3); for a VOC-style dataset with its own classes,
  // the class map's order.
  const columns = classes.every((c) => gt.columns.includes(c)) ? gt.columns : classes;
  let list: Map<string, Uint8Array> | undefined;
  if (options.difficultList) {
    let text: string;
    try { text = await fs.readFile(options.difficultList, 'utf8'); } catch {
      throw new EngineError('BAD_ARGUMENT', `Cannot read the difficult list "${options.difficultList}".`);
    }
    list = parseDifficultList(text, columns.length, options.difficultList);
  }
  const meta: PointingMeta = {
    dataset: gt.dataset, tolerance, classes, methods: [CENTRE, ...methods], difficultSource: list ? 'list' : 'rule',
    targetRule: options.classScores
      ? 'the class\'s model index with the highest score on the image (single-index classes: that index)'
      : 'the first model index listed for the class',
  };
  const plan = options.shard?.({ meta, images: listed.map((im) => im.file) });
  const images = plan ? listed.filter((im) => plan.include(im.file)) : listed;
  const missing: string[] = [];
  for (const im of images) {
    const p = path.join(options.images, im.file);
    if (!(await fs.stat(p).then((s) => s.isFile(), () => false))) missing.push(p);
  }
  if (missing.length)
    throw new EngineError('IMAGE_NOT_FOUND', `${missing.length} annotated image(s) not found under "${options.images}" (first: ${missing[0]}).`);

  const records: ImageRecord[] = [];
  const indexOf = new Map(listed.map((im, i) => [im.file, i]));
  for (const [n, im] of images.entries()) {
    const prior = plan?.done.get(im.file);
    if (prior) { records.push(prior); options.onProgress?.({ done: n + 1, total: images.length, image: im.file }); continue; }
    if (options.isCancelled?.()) throw new CancelledError('Pointing game cancelled');
    const imagePath = path.join(options.images, im.file);
    const details: PairRecord[] = [];
    const unmapped = new Set<string>();
    let scores: ArrayLike<number> | undefined;
    for (const [className, gtClass] of im.classes) {
      const indices = classMap.get(className);
      if (!indices) { unmapped.add(className); continue; }
      const region = gtClass.region();
      const difficult = list
        ? inDifficultList(list, im.file, columns.indexOf(className))
        : difficultByRule(regionArea(region), im.width * im.height, im.classes.size);
      const record: PairRecord = { image: im.file, className, target: null, difficult, skipped: gtClass.allDifficult, points: {} };
      details.push(record);
      if (record.skipped) continue;
      // Outcomes are derived from the records (pointingResult), so that merged shards score exactly alike.
      const score = (m: string, x: number, y: number) => {
        record.points[m] = { x, y, hit: isHit({ x, y }, region, tolerance) };
      };
      const c = centrePoint(im.width, im.height);
      score(CENTRE, c.x, c.y);
      if (methods.length && indices.length > 1 && options.classScores && !scores) scores = await options.classScores(imagePath);
      record.target = chooseTarget(indices, scores);
      for (const m of methods) {
        const p = pointOnImage(await explain(imagePath, record.target, m), im.width, im.height);
        score(m, p.x, p.y);
      }
    }
    const record: ImageRecord = { index: indexOf.get(im.file)!, image: im.file, pairs: details, unmapped: [...unmapped].sort() };
    records.push(record);
    plan?.onImage(record);
    options.onProgress?.({ done: n + 1, total: images.length, image: im.file });
  }

  const result = pointingResult(meta, records);
  if (options.out) await writePointingResults(result, options.out);
  return result;
}

/** The result of image records (one run's, or every shard's): pairs in dataset order, outcomes per §4.1, scores per §4.4. */
export function pointingResult(meta: PointingMeta, records: readonly ImageRecord[]): PointingGameResult {
  const sorted = [...records].sort((a, b) => a.index - b.index);
  const details = sorted.flatMap((r) => r.pairs);
  const outcomes: Record<string, { className: string; outcome: Outcome; difficult: boolean }[]> = {};
  for (const m of meta.methods) outcomes[m] = [];
  for (const d of details) {
    for (const m of meta.methods) {
      if (!d.skipped && !d.points[m]) throw new EngineError('INPUT_INVALID', `pointing game: no ${m} point for ${d.image} / ${d.className}`);
      outcomes[m].push({ className: d.className, outcome: d.skipped ? 0 : d.points[m].hit ? 1 : -1, difficult: d.difficult });
    }
  }
  return {
    dataset: meta.dataset,
    tolerance: meta.tolerance,
    classes: meta.classes,
    methods: meta.methods,
    images: sorted.length,
    pairs: {
      all: details.filter((d) => !d.skipped).length,
      difficult: details.filter((d) => !d.skipped && d.difficult).length,
      skipped: details.filter((d) => d.skipped).length,
    },
    difficultSource: meta.difficultSource,
    targetRule: meta.targetRule,
    unmappedClasses: [...new Set(sorted.flatMap((r) => r.unmapped))].sort(),
    scores: Object.fromEntries(Object.entries(outcomes).map(([m, os]) => [m, {
      all: aggregate(os, meta.classes),
      difficult: aggregate(os.filter((o) => o.difficult), meta.classes),
    }])),
    details,
  };
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Per-class table: evaluated pairs per subset, then accuracy (%) of every method on "all" and "difficult"; last row the means. */
export function pointingCsv(r: PointingGameResult): string {
  const header = ['class', 'pairs_all', 'pairs_difficult', ...r.methods.flatMap((m) => [`${m}_all`, `${m}_difficult`])];
  const pct = (v: number) => (100 * v).toFixed(2);
  const rows = r.classes.map((c) => {
    const centre = r.scores[CENTRE];
    const count = (s: SubsetScore) => String(s.perClass[c].hits + s.perClass[c].misses);
    return [csvCell(c), count(centre.all), count(centre.difficult),
      ...r.methods.flatMap((m) => [pct(r.scores[m].all.perClass[c].accuracy), pct(r.scores[m].difficult.perClass[c].accuracy)])];
  });
  rows.push(['mean', String(r.pairs.all), String(r.pairs.difficult), ...r.methods.flatMap((m) => [pct(r.scores[m].all.mean), pct(r.scores[m].difficult.mean)])]);
  return [header, ...rows].map((row) => row.join(',')).join('\n') + '\n';
}

export async function writePointingResults(r: PointingGameResult, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'pointing.json'), JSON.stringify(r, null, 1));
  await fs.writeFile(path.join(dir, 'pointing.csv'), pointingCsv(r));
}
