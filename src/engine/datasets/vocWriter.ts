// Writes synthetic-world samples as a PASCAL VOC-style detection dataset (METHODS.md §4.2) for the pointing game:
//   Annotations/<name>.xml     one <annotation> per image, one <object> with <name>, <difficult> and a 1-based
//                              inclusive <bndbox> (VOC convention; §4.2 converts back with −1)
//   JPEGImages/<name>.png      the images (lossless PNG under VOC's folder name; <filename> says .png)
//   ImageSets/Main/{train,val,trainval}.txt   image ids, split by the same filename hash as the Broden writer
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from '../errors';
import { splitOf } from './datasetSplit';
import { writeRgbPng } from './pngFiles';
import type { WorldSample } from './syntheticWorld';

export interface VocOptions {
  /** Fraction of images in `val`, by filename hash (same rule and default as the Broden writer). Default 0.2. */
  valFraction?: number;
  /** <folder> and <database> text. Default `CNNLensSynth`. */
  folder?: string;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/**
 * The VOC XML annotation of one sample. Every object is fully visible, unoccluded and at least 11 px in radius,
 * so none is `difficult` (VOC's flag for objects hard to recognise) and none is `truncated`.
 */
export function vocAnnotationXml(sample: WorldSample, options: VocOptions = {}): string {
  const folder = escapeXml(options.folder ?? 'CNNLensSynth');
  const b = sample.box;
  if (b.xmax < b.xmin || b.ymax < b.ymin) throw new EngineError('BAD_ARGUMENT', `Sample ${sample.name} has an empty object box`);
  return [
    '<annotation>',
    `  <folder>${folder}</folder>`,
    `  <filename>${escapeXml(sample.name)}.png</filename>`,
    `  <source><database>${folder}</database><annotation>CNN Lens synthetic world, seed ${sample.seed}</annotation></source>`,
    `  <size><width>${sample.width}</width><height>${sample.height}</height><depth>3</depth></size>`,
    '  <segmented>0</segmented>',
    '  <object>',
    `    <name>${escapeXml(sample.shape)}</name>`,
    '    <pose>Unspecified</pose>',
    '    <truncated>0</truncated>',
    '    <difficult>0</difficult>',
    '    <bndbox>',
    `      <xmin>${b.xmin + 1}</xmin>`,
    `      <ymin>${b.ymin + 1}</ymin>`,
    `      <xmax>${b.xmax + 1}</xmax>`,
    `      <ymax>${b.ymax + 1}</ymax>`,
    '    </bndbox>',
    '  </object>',
    '</annotation>',
    '',
  ].join('\n');
}

export interface VocWriteResult {
  directory: string;
  images: number;
  train: number;
  val: number;
}

/** Writes the dataset under `directory` (created if needed; files of the same names are replaced). */
export async function writeVoc(directory: string, samples: readonly WorldSample[], options: VocOptions = {}): Promise<VocWriteResult> {
  const valFraction = options.valFraction ?? 0.2;
  if (samples.length === 0) throw new EngineError('BAD_ARGUMENT', 'A VOC dataset needs at least one image');
  if (new Set(samples.map((s) => s.name)).size !== samples.length)
    throw new EngineError('BAD_ARGUMENT', 'Duplicate image names (mixing worlds with the same seed?)');
  const dirs = ['Annotations', 'JPEGImages', path.join('ImageSets', 'Main')].map((d) => path.join(directory, d));
  for (const d of dirs) await mkdir(d, { recursive: true });
  const ids: Record<'train' | 'val', string[]> = { train: [], val: [] };
  for (const s of samples) {
    await writeFile(path.join(dirs[0], `${s.name}.xml`), vocAnnotationXml(s, options));
    await writeRgbPng(path.join(dirs[1], `${s.name}.png`), s.image, s.width, s.height);
    // Same key as the Broden writer's, so both copies of a world split alike.
    ids[splitOf(s.name, valFraction)].push(s.name);
  }
  const list = (names: string[]): string => names.map((n) => `${n}\n`).join('');
  await writeFile(path.join(dirs[2], 'train.txt'), list(ids.train));
  await writeFile(path.join(dirs[2], 'val.txt'), list(ids.val));
  await writeFile(path.join(dirs[2], 'trainval.txt'), list([...ids.train, ...ids.val]));
  return { directory, images: samples.length, train: ids.train.length, val: ids.val.length };
}
