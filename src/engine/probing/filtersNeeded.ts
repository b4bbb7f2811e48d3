// Filters-needed analysis (METHODS.md §5.7; N2V figures_playground.py): retrain the probe on only the F filters with
// the largest |w_k| of the full probe (a fixed 0/1 mask, weights re-initialised) and find the smallest F whose score
// reaches a fraction p of the full probe's:
//   segmentation:   IoU_set(F) ≥ p · IoU_set(K)
//   classification: acc(F) ≥ 0.5 + p · (acc(K) − 0.5)

export const SEGMENTATION_COUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 160, 192, 224];
export const CLASSIFICATION_COUNTS = [1, 2, 3, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 80, 100, 128];

export interface CurvePoint { filters: number; score: number }

export interface FiltersNeeded {
  curve: CurvePoint[];
  /** Smallest F reaching the criterion (K if none does). */
  needed: number;
  fraction: number;
}

/** The counts of §5.7 below K, then K itself. */
export function filterCounts(kind: 'segmentation' | 'classification', k: number): number[] {
  const base = kind === 'segmentation' ? SEGMENTATION_COUNTS : CLASSIFICATION_COUNTS;
  return [...base.filter((f) => f < k), k];
}

/** 0/1 mask of the F filters with the largest |w| (ties: lower index first). */
export function topFilterMask(weights: Float32Array, f: number): Uint8Array {
  const order = Array.from(weights.keys()).sort((a, b) => Math.abs(weights[b]) - Math.abs(weights[a]) || a - b);
  const mask = new Uint8Array(weights.length);
  for (const i of order.slice(0, f)) mask[i] = 1;
  return mask;
}

/**
 * @param full the full probe's weights and score (its curve point at K is the full probe itself, not retrained).
 * @param retrain trains a probe restricted to the mask and returns its score (IoU_set, or accuracy).
 */
export function filtersNeeded(
  kind: 'segmentation' | 'classification', full: { weights: Float32Array; score: number },
  retrain: (mask: Uint8Array) => number, fraction = 0.9,
): FiltersNeeded {
  const k = full.weights.length;
  const target = kind === 'segmentation' ? fraction * full.score : 0.5 + fraction * (full.score - 0.5);
  const curve: CurvePoint[] = [];
  let needed = k;
  for (const f of filterCounts(kind, k)) {
    const score = f === k ? full.score : retrain(topFilterMask(full.weights, f));
    curve.push({ filters: f, score });
    if (score >= target && needed === k) needed = f;
  }
  return { curve, needed, fraction };
}
