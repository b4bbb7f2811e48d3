// Class maps: which model output indices denote each dataset class, as JSON `{ "<dataset class>": [indices…] }`
// (METHODS.md §4.9). Keys keep their file order, which is the order of the per-class tables.
import { promises as fs } from 'node:fs';
import { EngineError } from '../errors';

/** Dataset class → model indices (at least one each), in the file's order. */
export type ClassMap = ReadonlyMap<string, readonly number[]>;

const bad = (source: string, what: string) => new EngineError('BAD_ARGUMENT', `class map ${source}: ${what}`);

/**
 * Parses and checks a class map. Keys starting with `_` are comments (e.g. `"_source"`). With `numClasses`, every
 * index must be a valid model output.
 */
export function parseClassMap(json: unknown, numClasses?: number, source = '(inline)'): ClassMap {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw bad(source, 'must be a JSON object { "<dataset class>": [model indices…] }');
  const map = new Map<string, number[]>();
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name.startsWith('_')) continue;
    if (!name.trim()) throw bad(source, 'a class name is empty');
    const list = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0) throw bad(source, `"${name}" must map to a non-empty list of model indices`);
    for (const i of list) {
      if (!Number.isInteger(i) || i < 0) throw bad(source, `"${name}": ${JSON.stringify(i)} is not a model index (a non-negative integer)`);
      if (numClasses !== undefined && i >= numClasses) throw bad(source, `"${name}": index ${i} is out of range for a model with ${numClasses} classes`);
    }
    if (new Set(list).size !== list.length) throw bad(source, `"${name}" lists an index twice`);
    map.set(name, list as number[]);
  }
  if (!map.size) throw bad(source, 'maps no class');
  return map;
}

export async function readClassMap(file: string, numClasses?: number): Promise<ClassMap> {
  let text: string;
  try { text = await fs.readFile(file, 'utf8'); } catch (e) {
    throw new EngineError('BAD_ARGUMENT', `Cannot read class map "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { throw bad(file, `not valid JSON (${(e as Error).message})`); }
  return parseClassMap(json, numClasses, file);
}

/**
 * The model index explained for a dataset class: with one index, that index; with several (an ImageNet model on
 * VOC), the one the model scores highest on this image, so the explanation is for the reading of the class the
 * model actually makes (TorchRay's benchmark models have one output per class, §4.7, so §4 never has to choose; the
 * same rule picks the cat class in the reference's contrastive run r5b). Without scores, the first listed index.
 */
export function chooseTarget(indices: readonly number[], scores?: ArrayLike<number>): number {
  if (indices.length === 1 || !scores) return indices[0];
  let best = indices[0];
  for (const i of indices) if (scores[i] > scores[best]) best = i;
  return best;
}
