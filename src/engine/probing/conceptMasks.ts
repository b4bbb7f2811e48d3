// The target maps L_c(x) of a concept in one image (METHODS.md §5.3 and §5.5), from its per-category annotations.
import type { ImageLabels, ProbeConcept } from './probeDataset';

/** Every label number present in the image: in any pixel layer or as an image-level label of any category. */
export function labelsPresent(labels: ImageLabels): Set<number> {
  const out = new Set<number>();
  for (const cat of labels.values()) {
    for (const n of cat.imageLevel) out.add(n);
    for (const layer of cat.layers) for (let i = 0; i < layer.length; i++) if (layer[i]) out.add(layer[i]);
  }
  out.delete(0);
  return out;
}

/**
 * L_c(x) as a 0/1 map of sh×sw.
 * - 'any' (NetDissect, §5.3): pixels labelled c in any layer of any category; all pixels if c is image-level anywhere.
 * - 'firstCategory' (Net2Vec, §5.5): only the first of c's categories that has data for x; there, the max over its
 *   layers of (seg == c), or all ones if that data is an image-level c.
 */
export function conceptMask(labels: ImageLabels, concept: ProbeConcept, size: number, rule: 'any' | 'firstCategory'): Uint8Array {
  const out = new Uint8Array(size);
  const c = concept.number;
  const categories = rule === 'any' ? [...labels.keys()] : concept.categories.filter((k) => labels.has(k)).slice(0, 1);
  for (const k of categories) {
    const cat = labels.get(k)!;
    if (cat.imageLevel.includes(c)) { out.fill(1); return out; }
    for (const layer of cat.layers) for (let i = 0; i < size; i++) if (layer[i] === c) out[i] = 1;
  }
  return out;
}

/** Categories with at least one label in this image (NetDissect's A_{k,c} counts activations on these, §5.3). */
export function categoriesWithLabels(labels: ImageLabels): string[] {
  const out: string[] = [];
  for (const [name, cat] of labels) {
    if (cat.imageLevel.some((n) => n > 0) || cat.layers.some((l) => l.some((v) => v > 0))) out.push(name);
  }
  return out;
}
