// The engine's probe result → the Concepts panel's report: the table's and the detail view's fields only (the full
// weight vectors, losses, per-filter thresholds and unit labels stay in the saved result for the JSON export), and
// every score that is not a finite number as null (messages and the webview state are JSON).
import type { ProbeResult, ProbeScores } from '../../engine/probing/probeTypes';
import type { ConceptsReport, PanelScores } from '../../webview/conceptsPanelProtocol';

const finite = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function scores(p: ProbeScores | undefined): PanelScores | undefined {
  if (!p) return undefined;
  return {
    metric: p.metric, bestFilter: p.bestFilter, bestFilterScore: finite(p.bestFilterScore), score: finite(p.score),
    gain: finite(p.gain), gainRatio: finite(p.gainRatio), secondary: finite(p.secondary),
    ...(p.filtersNeeded !== undefined ? { filtersNeeded: p.filtersNeeded } : {}),
    topFilters: p.topFilters.filter((t) => Number.isFinite(t.weight)).map((t) => ({ filter: t.filter, weight: t.weight })),
    ...(p.curve ? { curve: p.curve.map((c) => ({ filters: c.filters, score: finite(c.score) })) } : {}),
    nearest: p.nearest.map((n) => ({ concept: n.concept, cosine: finite(n.cosine) })),
    ...(p.examples ? { examples: p.examples.map((e) => ({ image: e.image, file: e.file, iou: finite(e.iou), predicted: e.predicted, truth: e.truth })) } : {}),
  };
}

export function conceptsReport(id: string, modelName: string, r: ProbeResult): ConceptsReport {
  const fraction = typeof r.settings.fraction === 'number' ? r.settings.fraction : 0.9;
  return {
    id, modelName, modelPath: r.model.path, layer: r.layer,
    datasetPath: r.dataset.path, datasetFormat: r.dataset.format, images: r.dataset.images, train: r.dataset.train, val: r.dataset.val,
    activations: { h: r.activations.h, w: r.activations.w, filters: r.activations.filters, cached: r.activations.cached },
    backend: r.backend, elapsedMs: r.elapsedMs, fraction, quantile: r.quantile,
    detectors: r.units.filter((u) => u.detector).length,
    concepts: r.concepts.map((c) => ({
      concept: c.concept, category: c.category, trainImages: c.trainImages, valImages: c.valImages,
      netDissect: { filter: c.netDissect.filter, iou: finite(c.netDissect.iou) },
      ...(c.segmentation ? { segmentation: scores(c.segmentation) } : {}),
      ...(c.classification ? { classification: scores(c.classification) } : {}),
      notes: [...c.notes],
    })),
  };
}
