// Probe job, last reduce: the concepts shards' results → the probe result an unsharded run gives. Concepts go back
// into the dataset's order; nearest concepts (METHODS.md §5.8) are recomputed over all embeddings; each filter's
// NetDissect label is the best over the shards' best, ties to the concept listed first (as the single pass does).
import { EngineError } from '../errors';
import { ConceptEmbeddings } from '../probing/conceptEmbeddings';
import type { UnitLabel } from '../probing/netDissect';
import type { ProbeConceptResult, ProbeResult } from '../probing/probeTypes';
import { checkComplete, type PartContent } from './partFile';
import type { ConceptsSummary } from './probeConceptsPhase';

export function mergeConcepts(parts: PartContent[]): ProbeResult {
  const { job, params } = checkComplete(parts, true);
  if (job !== 'probe-concepts') throw new EngineError('BAD_ARGUMENT', `Expected probe concepts results, got ${job}.`);
  const { concepts: names, settings } = params as { concepts: string[]; settings: { neighbours: number } };
  const order = new Map<string, number>();
  names.forEach((c, i) => { if (!order.has(c)) order.set(c, i); });
  const byName = new Map<string, ProbeConceptResult>();
  for (const p of parts) for (const [id, r] of p.items) byName.set(id, r as ProbeConceptResult);
  const concepts = names.map((c) => byName.get(c)!);

  const segEmb = new ConceptEmbeddings();
  const clsEmb = new ConceptEmbeddings();
  for (const r of concepts) {
    if (r.segmentation) segEmb.add(r.concept, r.segmentation.weights);
    if (r.classification) clsEmb.add(r.concept, r.classification.weights);
  }
  for (const r of concepts) {
    if (r.segmentation) r.segmentation.nearest = segEmb.nearest(r.concept, settings.neighbours);
    if (r.classification) r.classification.nearest = clsEmb.nearest(r.concept, settings.neighbours);
  }

  const sorted = [...parts].sort((a, b) => a.header.shard.index - b.header.shard.index);
  const summaries = sorted.map((p) => p.summary as ConceptsSummary);
  const units: UnitLabel[] = summaries[0].units.map((_, f) => {
    let best = summaries[0].units[f];
    for (const s of summaries.slice(1)) {
      const u = s.units[f];
      if (u.iou > best.iou || (u.iou === best.iou && order.get(u.concept)! < order.get(best.concept)!)) best = u;
    }
    return best;
  });
  const frame = summaries[0].frame;
  const { job: _job, ...plainSettings } = frame.settings;
  return {
    ...frame, settings: plainSettings, units, concepts,
    elapsedMs: summaries.reduce((a, s) => a + s.frame.elapsedMs, 0),
  };
}
