// A simple dataset format for people's own concepts: <root>/<concept>/*.{png,jpg,jpeg} with an optional
// <name>.mask.png next to an image (white = concept), and an optional <root>/negatives/ folder. It is mapped onto the
// same ProbeDataset as Broden: one category 'concept', masks as pixel layers (resized to a common segmentation size
// with nearest neighbour), images without a mask as image-level labels. A concept is probed for segmentation only
// when every one of its images has a mask; otherwise only the classification probe runs (METHODS.md §5.6).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { EngineError } from '../errors';
import type { ImageLabels, ProbeConcept, ProbeDataset, ProbeImage } from '../probing/probeDataset';
import { splitOf } from './datasetSplit';

export const FOLDER_CATEGORY = 'concept';
export const NEGATIVES_FOLDER = 'negatives';
const IMAGE_EXT = /\.(png|jpe?g)$/i;
const MASK_SUFFIX = /\.mask\.png$/i;

export interface ConceptFoldersOptions {
  /** Only these concepts (folder names). */
  concepts?: string[];
  /** Segmentation size (square) masks are resized to. Default 112, Broden's for 224-pixel images. */
  segmentationSize?: number;
  /** Fraction of images in the val split, chosen by a hash of the path. Default 0.2. */
  valFraction?: number;
}

export function isConceptFolders(root: string): boolean {
  return !fs.existsSync(path.join(root, 'index.csv')) && fs.existsSync(root) && fs.statSync(root).isDirectory();
}

export async function readConceptFolders(root: string, options: ConceptFoldersOptions = {}): Promise<ProbeDataset> {
  const dir = path.resolve(root);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new EngineError('INPUT_INVALID', `Dataset folder not found: ${dir}`);
  const size = options.segmentationSize ?? 112;
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new EngineError('BAD_ARGUMENT', `segmentationSize must be an integer in 1–4096, got ${size}.`);
  const valFraction = options.valFraction ?? 0.2;
  const folders = fs.readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  let conceptNames = folders.filter((f) => f !== NEGATIVES_FOLDER);
  if (!conceptNames.length) throw new EngineError('INPUT_INVALID', `${dir} has no concept folders (expected <root>/<concept>/*.png|jpg, or a Broden index.csv).`);
  if (options.concepts?.length) {
    const unknown = options.concepts.filter((c) => !conceptNames.includes(c));
    if (unknown.length) throw new EngineError('BAD_ARGUMENT', `Unknown concept ${unknown.join(', ')} in ${dir}; its concept folders are ${conceptNames.join(', ')}.`);
  }

  const images: ProbeImage[] = [];
  const masks: Array<string | null> = [];
  const conceptOf: number[] = [];
  const negatives = new Set<number>();
  const hash = createHash('sha256').update(dir).update(`\0${size}\0${valFraction}`);
  // Every concept folder is listed (numbers stay stable under a subset); the subset only limits what is probed.
  const all: ProbeConcept[] = conceptNames.map((name, i) => ({ number: i + 1, name, categories: [FOLDER_CATEGORY], primary: FOLDER_CATEGORY, pixelLevel: true }));
  for (const folder of [...conceptNames, ...(folders.includes(NEGATIVES_FOLDER) ? [NEGATIVES_FOLDER] : [])]) {
    const files = fs.readdirSync(path.join(dir, folder)).filter((f) => IMAGE_EXT.test(f) && !MASK_SUFFIX.test(f)).sort();
    if (!files.length && folder !== NEGATIVES_FOLDER) throw new EngineError('INPUT_INVALID', `Concept folder ${path.join(dir, folder)} has no .png or .jpg images.`);
    const concept = all.find((c) => c.name === folder);
    for (const f of files) {
      const id = `${folder}/${f}`;
      const file = path.join(dir, folder, f);
      const maskFile = path.join(dir, folder, f.replace(IMAGE_EXT, '.mask.png'));
      const mask = concept && fs.existsSync(maskFile) ? maskFile : null;
      if (concept && !mask) concept.pixelLevel = false;
      const st = fs.statSync(file);
      hash.update(`\0${id}\0${st.size}\0${st.mtimeMs}`);
      if (folder === NEGATIVES_FOLDER) negatives.add(images.length);
      images.push({ id, file, split: splitOf(id, valFraction), sh: size, sw: size });
      masks.push(mask);
      conceptOf.push(concept ? concept.number : 0);
    }
  }
  conceptNames = options.concepts?.length ? options.concepts : conceptNames;
  const concepts = all.filter((c) => conceptNames.includes(c.name));

  const loadLabels = async (i: number): Promise<ImageLabels> => {
    const labels: ImageLabels = new Map();
    const c = conceptOf[i];
    if (!c) return labels;
    if (!masks[i]) {
      labels.set(FOLDER_CATEGORY, { layers: [], imageLevel: [c] });
      return labels;
    }
    let data: Buffer;
    try {
      data = await sharp(masks[i]!).resize(size, size, { fit: 'fill', kernel: 'nearest' }).greyscale().raw().toBuffer();
    } catch (e) {
      throw new EngineError('IMAGE_UNREADABLE', `Cannot read mask ${masks[i]}: ${(e as Error).message}`);
    }
    const layer = new Uint16Array(size * size);
    for (let p = 0; p < layer.length; p++) if (data[p] > 127) layer[p] = c;
    labels.set(FOLDER_CATEGORY, { layers: [layer], imageLevel: [] });
    return labels;
  };
  return {
    format: 'folders', root: dir, key: hash.digest('hex').slice(0, 24), images, concepts, categories: [FOLDER_CATEGORY],
    loadLabels, negatives: negatives.size ? negatives : undefined,
  };
}
