// Probe job, second map (issue #9): with the job's activations and merged thresholds, a task runs the dissection
// pass for the concepts it owns (NetDissect/§5.4 IoU counts: integer pixel counts, so per-concept sums do not
// depend on which other concepts share the pass) and trains their probes, one JSON line per finished concept.
// runProbe does the work; this supplies its inputs and takes its outputs.
import type { EngineModel, Preprocessing } from '../model/modelTypes';
import { layerShape, type ActivationStore } from '../probing/activationStore';
import type { UnitLabel } from '../probing/netDissect';
import type { ProbeDataset } from '../probing/probeDataset';
import type { ProbeConceptResult, ProbeResult } from '../probing/probeTypes';
import { fingerprintOf, PartWriter } from './partFile';
import { jobFiles, type ProbeJobSpec } from './probeJobSpec';
import { readThresholds } from './probeThresholds';
import { activationMeta, openJobActivations } from './sharedActivations';
import { ownsId } from './shard';

/** What a concepts task reports once all its concepts are done; merge takes the result's frame from shard 0. */
export interface ConceptsSummary { units: UnitLabel[]; frame: Omit<ProbeResult, 'concepts' | 'units'> }

export interface ConceptsJob {
  store: ActivationStore;
  thresholds: Float32Array;
  owns(conceptIndex: number): boolean;
  /** The concept's result from an earlier run of this task (resume), if any. */
  done(conceptIndex: number): ProbeConceptResult | undefined;
  record(conceptIndex: number, r: ProbeConceptResult): void;
  finish(summary: ConceptsSummary): void;
  close(): void;
}

/** Settings that change a concept's numbers (the fingerprint shared by the shards). */
export interface ConceptsSettings {
  layer: string; quantile: number; kind: string; segmentation: unknown; classification: unknown;
  filtersNeeded: boolean; fraction: number; neighbours: number;
}

export function openConceptsPhase(
  job: ProbeJobSpec, model: EngineModel, modelPath: string, preprocessing: Preprocessing, dataset: ProbeDataset, s: ConceptsSettings,
): ConceptsJob {
  const [h, w, k] = layerShape(model, s.layer);
  const meta = activationMeta(modelPath, s.layer, dataset.key, preprocessing, { n: dataset.images.length, h, w, k });
  const thresholds = readThresholds(job.dir, meta.key, s.quantile);
  const names = dataset.concepts.map((c) => c.name);
  const mine = new Set(names.map((name, ci) => (ownsId(job.shard, name) ? ci : -1)).filter((ci) => ci >= 0));
  const params = {
    key: meta.key, concepts: names,
    settings: { layer: s.layer, quantile: s.quantile, kind: s.kind, segmentation: s.segmentation, classification: s.classification,
      filtersNeeded: s.filtersNeeded, fraction: s.fraction, neighbours: s.neighbours },
  };
  const part = PartWriter.open(jobFiles(job.dir).parts, {
    job: 'probe-concepts', shard: job.shard, ids: [...mine].map((ci) => names[ci]), total: names.length, fingerprint: fingerprintOf(params), params,
  }, job.resume);
  let store: ActivationStore;
  try { store = openJobActivations(job.dir, meta); } catch (e) { part.close(); throw e; }
  return {
    store, thresholds,
    owns: (ci) => mine.has(ci),
    done: (ci) => part.done.get(names[ci]) as ProbeConceptResult | undefined,
    record: (ci, r) => part.item(names[ci], r),
    finish: (summary) => part.finish(summary),
    close: () => part.close(),
  };
}
