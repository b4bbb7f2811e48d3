// Reads a Broden-format concept dataset (METHODS.md §5.1; ND src/loadseg.py): index.csv, category.csv, label.csv,
// c_<category>.csv and images/ with label PNGs (label = R + 256·G). Integer items in an index cell are image-level
// labels; file items are pixel layers. Every file the index names is checked up front, so a broken dataset fails
// before hours of activations are computed, with the index.csv line that names the missing file.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { EngineError } from '../errors';
import { column, parseCsv, type CsvTable } from '../probing/csvTable';
import type { CategoryLabels, ImageLabels, ProbeConcept, ProbeDataset, ProbeImage, Split } from '../probing/probeDataset';
import { decodeLabelPixels } from './pngFiles';

export interface BrodenReadOptions {
  /** Only these concepts (label names or numbers). */
  concepts?: Array<string | number>;
  /** Only concepts of these categories (and only these categories' annotations). */
  categories?: string[];
  /** Check that every image and label file exists (default true). */
  checkFiles?: boolean;
}

interface IndexRow {
  image: ProbeImage;
  line: number;
  /** Raw items per category: label PNG paths (relative to images/) or image-level numbers. */
  items: Map<string, { files: string[]; numbers: number[] }>;
}

function readTable(root: string, name: string): CsvTable {
  const file = path.join(root, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new EngineError('INPUT_INVALID', `Not a Broden dataset: ${file} is missing (a Broden folder has index.csv, category.csv, label.csv and c_<category>.csv).`);
  }
  return parseCsv(text, file);
}

const posInt = (s: string) => /^\d+$/.test(s.trim()) && Number(s) > 0;

/** `cat(12);other(3)` → ['cat', 'other'] (ND decode_label_dict); a bare name is accepted too. */
function parseLabelCategories(field: string): string[] {
  return field.split(';').map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/\(\d+\)$/, ''));
}

export async function readBroden(root: string, options: BrodenReadOptions = {}): Promise<ProbeDataset> {
  const dir = path.resolve(root);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new EngineError('INPUT_INVALID', `Dataset folder not found: ${dir}`);
  const categoryTable = readTable(dir, 'category.csv');
  const allCategories = categoryTable.rows.map((r) => r.cells[column(categoryTable, 'name', 'category.csv')].trim());
  const labelTable = readTable(dir, 'label.csv');
  const indexText = fs.readFileSync(path.join(dir, 'index.csv'), 'utf8');
  const indexTable = parseCsv(indexText, path.join(dir, 'index.csv'));

  // Coverage per (category, number) from the c_ files decides each label's primary category (§5.1).
  const coverage = new Map<string, Map<number, number>>();
  for (const cat of allCategories) {
    const t = readTable(dir, `c_${cat}.csv`);
    const num = column(t, 'number', `c_${cat}.csv`);
    const cov = t.header.indexOf('coverage');
    coverage.set(cat, new Map(t.rows.map((r) => [Number(r.cells[num]), cov >= 0 ? Number(r.cells[cov]) : 0])));
  }

  const ln = column(labelTable, 'number', 'label.csv');
  const lname = column(labelTable, 'name', 'label.csv');
  const lcat = column(labelTable, 'category', 'label.csv');
  let concepts: ProbeConcept[] = labelTable.rows.map((r) => {
    const number = Number(r.cells[ln]);
    if (!Number.isInteger(number) || number < 1 || number > 65535)
      throw new EngineError('INPUT_INVALID', `label.csv line ${r.line}: label number '${r.cells[ln]}' is not an integer in 1–65535.`);
    const listed = parseLabelCategories(r.cells[lcat]).filter((c) => coverage.has(c));
    // Labels whose category field is empty or unknown: the c_ files say where they are.
    const categories = listed.length ? listed : allCategories.filter((c) => coverage.get(c)!.has(number));
    let primary = categories[0] ?? '';
    for (const c of categories) if ((coverage.get(c)!.get(number) ?? 0) > (coverage.get(primary)?.get(number) ?? 0)) primary = c;
    return { number, name: r.cells[lname].trim(), categories, primary };
  }).filter((c) => c.categories.length > 0);

  let categories = allCategories;
  if (options.categories?.length) {
    const unknown = options.categories.filter((c) => !allCategories.includes(c));
    if (unknown.length) throw new EngineError('BAD_ARGUMENT', `Unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; this dataset has ${allCategories.join(', ')}.`);
    categories = allCategories.filter((c) => options.categories!.includes(c));
    concepts = concepts.filter((c) => c.categories.some((k) => categories.includes(k)));
  }
  if (options.concepts?.length) {
    const picked: ProbeConcept[] = [];
    for (const want of options.concepts) {
      const hit = concepts.find((c) => c.name === String(want) || (typeof want === 'number' && c.number === want) || String(c.number) === String(want));
      if (!hit) {
        const near = concepts.filter((c) => c.name.includes(String(want))).slice(0, 5).map((c) => c.name);
        throw new EngineError('BAD_ARGUMENT', `Unknown concept '${want}' in ${dir}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}.`);
      }
      if (!picked.includes(hit)) picked.push(hit);
    }
    concepts = picked;
  }

  const idx = {
    image: column(indexTable, 'image', 'index.csv'), split: column(indexTable, 'split', 'index.csv'),
    sh: column(indexTable, 'sh', 'index.csv'), sw: column(indexTable, 'sw', 'index.csv'),
  };
  const categoryColumns = categories.map((c) => [c, indexTable.header.indexOf(c)] as const).filter(([, i]) => i >= 0);
  const imagesDir = path.join(dir, 'images');
  const checkFiles = options.checkFiles ?? true;
  const rows: IndexRow[] = indexTable.rows.map((r) => {
    const where = `index.csv line ${r.line}`;
    const id = r.cells[idx.image].trim();
    const split = r.cells[idx.split].trim();
    if (split !== 'train' && split !== 'val') throw new EngineError('INPUT_INVALID', `${where} (${id}): split is '${split}', expected train or val.`);
    if (!posInt(r.cells[idx.sh]) || !posInt(r.cells[idx.sw]))
      throw new EngineError('INPUT_INVALID', `${where} (${id}): segmentation size sh=${r.cells[idx.sh]}, sw=${r.cells[idx.sw]} must be positive integers.`);
    const file = path.join(imagesDir, id);
    if (checkFiles && !fs.existsSync(file)) throw new EngineError('IMAGE_NOT_FOUND', `${where}: image ${file} not found.`);
    const items = new Map<string, { files: string[]; numbers: number[] }>();
    for (const [cat, ci] of categoryColumns) {
      const cell = r.cells[ci].trim();
      if (!cell) continue;
      const entry = { files: [] as string[], numbers: [] as number[] };
      for (const item of cell.split(';').map((s) => s.trim()).filter(Boolean)) {
        if (/^\d+$/.test(item)) { entry.numbers.push(Number(item)); continue; }
        if (checkFiles && !fs.existsSync(path.join(imagesDir, item)))
          throw new EngineError('IMAGE_NOT_FOUND', `${where} (${id}): ${cat} label file ${path.join(imagesDir, item)} not found.`);
        entry.files.push(item);
      }
      items.set(cat, entry);
    }
    return { image: { id, file, split: split as Split, sh: Number(r.cells[idx.sh]), sw: Number(r.cells[idx.sw]) }, line: r.line, items };
  });

  const key = createHash('sha256').update(dir).update('\0').update(indexText).digest('hex').slice(0, 24);
  return {
    format: 'broden', root: dir, key, images: rows.map((r) => r.image), concepts, categories,
    loadLabels: (i) => loadRowLabels(rows[i], imagesDir),
  };
}

async function loadRowLabels(row: IndexRow, imagesDir: string): Promise<ImageLabels> {
  const out: ImageLabels = new Map();
  const { sh, sw, id } = row.image;
  for (const [cat, { files, numbers }] of row.items) {
    const labels: CategoryLabels = { layers: [], imageLevel: numbers };
    for (const f of files) {
      const file = path.join(imagesDir, f);
      let decoded: { data: Buffer; info: OutputInfo };
      try {
        decoded = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      } catch (e) {
        throw new EngineError('IMAGE_UNREADABLE', `index.csv line ${row.line} (${id}): cannot read ${cat} label file ${file}: ${(e as Error).message}`);
      }
      const { width, height, channels } = decoded.info;
      if (width !== sw || height !== sh)
        throw new EngineError('INPUT_INVALID', `index.csv line ${row.line} (${id}): ${cat} label file ${f} is ${width}×${height}, the index says sw×sh = ${sw}×${sh}.`);
      if (channels < 3) throw new EngineError('INPUT_INVALID', `index.csv line ${row.line} (${id}): ${cat} label file ${f} has ${channels} channel(s); Broden labels are RGB (R + 256·G).`);
      labels.layers.push(decodeLabelPixels(new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length), channels));
    }
    out.set(cat, labels);
  }
  return out;
}
