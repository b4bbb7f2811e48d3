// Writes synthetic-world samples as a Broden-format dataset (METHODS.md §5.1), so NetDissect / Net2Vec probing
// (§5.2–5.7) can run on it exactly as on Broden:
//   index.csv, category.csv, label.csv, c_<category>.csv, images/<subfolder>/<name>.png and label PNGs.
// Categories: object (object vs background), color, texture and shape are pixel-level (label PNGs, R + 256·G);
// scene (the background style) is image-level (an integer in index.csv), like Broden's scene and texture sources.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../errors';
import { type Split, splitOf } from './datasetSplit';
import { encodeLabelPixels, writeRgbPng } from './pngFiles';
import type { WorldSample } from './syntheticWorld';
import { BACKGROUNDS, COLORS, SHAPES, TEXTURES } from './worldVocabulary';

export const BRODEN_CATEGORIES = ['object', 'color', 'texture', 'shape', 'scene'] as const;
export type BrodenCategory = (typeof BRODEN_CATEGORIES)[number];
/** Categories stored as label PNGs; the others are image-level label numbers. */
export const PIXEL_CATEGORIES = ['object', 'color', 'texture', 'shape'] as const;
export type PixelCategory = (typeof PIXEL_CATEGORIES)[number];

export interface BrodenLabelDef {
  /** Unified label number (≥ 1; 0 = unlabeled). */
  number: number;
  name: string;
  category: BrodenCategory;
  /** Dense per-category code (1…count). */
  code: number;
}

/** The fixed label numbering of the synthetic world, category by category in BRODEN_CATEGORIES order. */
export function brodenLabels(): BrodenLabelDef[] {
  const names: Record<BrodenCategory, readonly string[]> = {
    object: ['object', 'background'],
    color: COLORS.map((c) => c.name),
    texture: TEXTURES,
    shape: SHAPES,
    scene: BACKGROUNDS.map((b) => `${b} background`),
  };
  const out: BrodenLabelDef[] = [];
  for (const category of BRODEN_CATEGORIES)
    names[category].forEach((name, i) => out.push({ number: out.length + 1, name, category, code: i + 1 }));
  return out;
}

export interface BrodenOptions {
  /** Segmentation size = image size / this (Broden releases use 2: 224 → 112). Default 2. */
  segmentationScale?: number;
  /** Fraction of images assigned to `val` by filename hash. Default 0.2. */
  valFraction?: number;
  /** Folder under images/ (Broden groups images by source dataset). Default `synth`. */
  source?: string;
}

export interface BrodenImageEntry {
  sample: WorldSample;
  /** Path relative to images/. */
  image: string;
  split: Split;
  sh: number;
  sw: number;
  /** Label PNG path (relative to images/) and its unified label numbers (sh×sw, row-major). */
  segmentations: Record<PixelCategory, { file: string; labels: Uint16Array }>;
  /** Unified number of the image-level scene label. */
  scene: number;
}

export interface BrodenLabelStats extends BrodenLabelDef {
  /** Images that contain the label. */
  frequency: number;
  /** Sum over images of the fraction of pixels with the label (1 per image for image-level labels). */
  coverage: number;
}

export interface BrodenDataset {
  entries: BrodenImageEntry[];
  labels: BrodenLabelStats[];
  /** File name → text, for every CSV file of the format. */
  csv: Record<string, string>;
}

/** Nearest-neighbour downsampling of a label map (labels must not be blended), sampling each target pixel's centre. */
export function downsampleLabels(labels: ArrayLike<number>, w: number, h: number, sw: number, sh: number): Uint16Array {
  const out = new Uint16Array(sw * sh);
  for (let y = 0; y < sh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / sh));
    for (let x = 0; x < sw; x++) out[y * sw + x] = labels[sy * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / sw))];
  }
  return out;
}

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvText(header: string[], rows: Array<Array<string | number>>): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** Coverage as a plain decimal (ND's loader parses `\d+\.\d*` as float; never exponent notation). */
function decimal(x: number): string {
  return x.toFixed(6);
}

/** Builds every table and label map in memory (pure); `writeBroden` puts them on disk. */
export function buildBroden(samples: readonly WorldSample[], options: BrodenOptions = {}): BrodenDataset {
  const scale = options.segmentationScale ?? 2;
  const valFraction = options.valFraction ?? 0.2;
  const source = options.source ?? 'synth';
  if (samples.length === 0) throw new EngineError('BAD_ARGUMENT', 'A Broden dataset needs at least one image');
  if (!Number.isInteger(scale) || scale < 1) throw new EngineError('BAD_ARGUMENT', `segmentationScale must be a positive integer, got ${scale}`);
  if (!(valFraction >= 0 && valFraction <= 1)) throw new EngineError('BAD_ARGUMENT', `valFraction must be in [0, 1], got ${valFraction}`);
  if (!/^[A-Za-z0-9_-]+$/.test(source)) throw new EngineError('BAD_ARGUMENT', `source must be a plain folder name, got "${source}"`);
  const names = new Set<string>();
  for (const s of samples) {
    if (names.has(s.name)) throw new EngineError('BAD_ARGUMENT', `Duplicate image name ${s.name} (mixing worlds with the same seed?)`);
    names.add(s.name);
    if (s.width % scale || s.height % scale)
      throw new EngineError('BAD_ARGUMENT', `Image ${s.name} (${s.width}×${s.height}) is not divisible by segmentationScale ${scale}`);
  }

  const labels: BrodenLabelStats[] = brodenLabels().map((d) => ({ ...d, frequency: 0, coverage: 0 }));
  const first = (category: BrodenCategory): number => labels.find((l) => l.category === category)!.number;
  const base = { object: first('object'), color: first('color'), texture: first('texture'), shape: first('shape'), scene: first('scene') };
  const categoryFrequency = new Map<BrodenCategory, number>(BRODEN_CATEGORIES.map((c) => [c, 0]));

  const entries = samples.map((sample): BrodenImageEntry => {
    const sw = sample.width / scale;
    const sh = sample.height / scale;
    const m = sample.masks;
    const full = sample.width * sample.height;
    // Unified label numbers at full resolution: mask value v (1 + vocabulary index) → base + v − 1.
    const unified: Record<PixelCategory, Uint16Array> = {
      object: Uint16Array.from(m.object, (v) => (v ? base.object : base.object + 1)),
      color: new Uint16Array(full),
      texture: new Uint16Array(full),
      shape: new Uint16Array(full),
    };
    for (let i = 0; i < full; i++) {
      if (m.color[i]) unified.color[i] = base.color + m.color[i] - 1;
      if (m.texture[i]) unified.texture[i] = base.texture + m.texture[i] - 1;
      if (m.shape[i]) unified.shape[i] = base.shape + m.shape[i] - 1;
    }
    const stem = `${source}/${sample.name}`;
    const segmentations = {} as BrodenImageEntry['segmentations'];
    for (const category of PIXEL_CATEGORIES) {
      const seg = downsampleLabels(unified[category], sample.width, sample.height, sw, sh);
      segmentations[category] = { file: `${stem}_${category}.png`, labels: seg };
      const counts = new Map<number, number>();
      for (const n of seg) if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
      for (const [n, count] of counts) {
        labels[n - 1].frequency++;
        labels[n - 1].coverage += count / seg.length;
      }
      if (counts.size) categoryFrequency.set(category, categoryFrequency.get(category)! + 1);
    }
    const scene = base.scene + sample.backgroundIndex;
    labels[scene - 1].frequency++;
    labels[scene - 1].coverage += 1;
    categoryFrequency.set('scene', categoryFrequency.get('scene')! + 1);
    const image = `${stem}.png`;
    // The split hashes the image's name (not its folder), so the VOC copy of the same world splits identically.
    return { sample, image, split: splitOf(sample.name, valFraction), sh, sw, segmentations, scene };
  });

  const csv: Record<string, string> = {};
  csv['index.csv'] = csvText(
    ['image', 'split', 'ih', 'iw', 'sh', 'sw', ...BRODEN_CATEGORIES],
    entries.map((e) => [
      e.image, e.split, e.sample.height, e.sample.width, e.sh, e.sw,
      ...BRODEN_CATEGORIES.map((c) => (c === 'scene' ? e.scene : e.segmentations[c].file)),
    ]),
  );
  csv['category.csv'] = csvText(
    ['name', 'first', 'last', 'count', 'frequency'],
    BRODEN_CATEGORIES.map((c) => {
      const numbers = labels.filter((l) => l.category === c).map((l) => l.number);
      return [c, Math.min(...numbers), Math.max(...numbers), numbers.length, categoryFrequency.get(c)!];
    }),
  );
  // Each label belongs to exactly one category here, so `category` is `cat(images)` and syns is the name itself.
  csv['label.csv'] = csvText(
    ['number', 'name', 'category', 'frequency', 'coverage', 'syns'],
    labels.map((l) => [l.number, l.name, `${l.category}(${l.frequency})`, l.frequency, decimal(l.coverage), l.name]),
  );
  for (const c of BRODEN_CATEGORIES) {
    csv[`c_${c}.csv`] = csvText(
      ['code', 'number', 'name', 'frequency', 'coverage'],
      labels.filter((l) => l.category === c).map((l) => [l.code, l.number, l.name, l.frequency, decimal(l.coverage)]),
    );
  }
  return { entries, labels, csv };
}

export interface BrodenWriteResult {
  directory: string;
  images: number;
  train: number;
  val: number;
  labels: number;
}

/** Writes the dataset under `directory` (created if needed; existing files of the same names are replaced). */
export async function writeBroden(directory: string, samples: readonly WorldSample[], options: BrodenOptions = {}): Promise<BrodenWriteResult> {
  const dataset = buildBroden(samples, options);
  const imagesDir = path.join(directory, 'images');
  await mkdir(path.join(imagesDir, options.source ?? 'synth'), { recursive: true });
  for (const [file, text] of Object.entries(dataset.csv)) await writeFile(path.join(directory, file), text);
  for (const e of dataset.entries) {
    await writeRgbPng(path.join(imagesDir, e.image), e.sample.image, e.sample.width, e.sample.height);
    for (const c of PIXEL_CATEGORIES) {
      const seg = e.segmentations[c];
      await writeRgbPng(path.join(imagesDir, seg.file), encodeLabelPixels(seg.labels), e.sw, e.sh);
    }
  }
  const val = dataset.entries.filter((e) => e.split === 'val').length;
  return { directory, images: dataset.entries.length, train: dataset.entries.length - val, val, labels: dataset.labels.length };
}
