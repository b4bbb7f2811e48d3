// What the "concepts" step offers before anything is probed: the dataset's format (Broden: an index.csv; concept
// folders: <root>/<concept>/ with images) and its concepts with their categories. Read cheaply in the extension host
// (label.csv, or a directory listing); the engine reads the dataset properly when the probe runs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../../engine/errors';
import { column, parseCsv } from '../../engine/probing/csvTable';
import { isExplainableImage } from '../explain/imageFormats';

export interface DatasetConcept { name: string; category: string }

export interface DatasetOutline {
  root: string;
  format: 'broden' | 'folders';
  concepts: DatasetConcept[];
  /** Concept folders: whether any image has a `.mask.png` (segmentation possible). Broden: true. */
  hasMasks: boolean;
}

/** The primary category as label.csv writes it: "cat(count);cat(count)", the first being the largest. */
const firstCategory = (cell: string) => cell.split(';')[0]?.replace(/\(\d+\)$/, '').trim() ?? '';

export async function outlineDataset(root: string): Promise<DatasetOutline> {
  const st = await fs.promises.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new EngineError('BAD_ARGUMENT', `The dataset folder ${root} does not exist.`);
  if (fs.existsSync(path.join(root, 'index.csv'))) {
    const file = path.join(root, 'label.csv');
    const text = await fs.promises.readFile(file, 'utf8').catch(() => {
      throw new EngineError('INPUT_INVALID', `${root} has an index.csv but no label.csv: not a complete Broden dataset.`);
    });
    const table = parseCsv(text, file);
    const name = column(table, 'name', file);
    const category = column(table, 'category', file);
    const concepts = table.rows.map((r) => ({ name: r.cells[name], category: firstCategory(r.cells[category]) })).filter((c) => c.name);
    return { root, format: 'broden', concepts, hasMasks: true };
  }
  const concepts: DatasetConcept[] = [];
  let hasMasks = false;
  for (const d of (await fs.promises.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const files = await fs.promises.readdir(path.join(root, d.name));
    if (!files.some((f) => isExplainableImage(f))) continue;
    if (files.some((f) => f.toLowerCase().endsWith('.mask.png'))) hasMasks = true;
    // 'negatives' is the engine's NEGATIVES_FOLDER (not imported: that module loads sharp, a native library).
    if (d.name !== 'negatives') concepts.push({ name: d.name, category: 'concept' });
  }
  if (!concepts.length)
    throw new EngineError('BAD_ARGUMENT', `${root} is neither a Broden dataset (no index.csv) nor a concept-folders dataset (no <concept>/ folder with images).`);
  return { root, format: 'folders', concepts, hasMasks };
}
