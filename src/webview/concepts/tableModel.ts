// The Concepts table's rows for the chosen probe kind, filtered and sorted — plain data, no DOM, so it is tested
// outside the webview. Missing scores (a probe that did not run for a concept) sort last in either direction.
import type { ConceptRow, ConceptsReport, ConceptsView, PanelScores, ProbeKindName, SortKey } from '../conceptsPanelProtocol';

export interface TableRow {
  concept: string;
  category: string;
  scores: PanelScores | undefined;
  row: ConceptRow;
}

/** The probe kinds the report has results for (segmentation first). */
export function kindsOf(report: ConceptsReport): ProbeKindName[] {
  const kinds: ProbeKindName[] = [];
  if (report.concepts.some((c) => c.segmentation)) kinds.push('segmentation');
  if (report.concepts.some((c) => c.classification)) kinds.push('classification');
  return kinds;
}

export function categoriesOf(report: ConceptsReport): string[] {
  return [...new Set(report.concepts.map((c) => c.category))].sort();
}

function sortValue(r: TableRow, key: SortKey): string | number | null {
  switch (key) {
    case 'concept': return r.concept.toLowerCase();
    case 'category': return r.category.toLowerCase();
    case 'bestFilter': return r.scores?.bestFilter ?? null;
    case 'bestFilterScore': return r.scores?.bestFilterScore ?? null;
    case 'score': return r.scores?.score ?? null;
    case 'gain': return r.scores?.gain ?? null;
    case 'filtersNeeded': return r.scores?.filtersNeeded ?? null;
  }
}

export function tableRows(report: ConceptsReport, view: ConceptsView): TableRow[] {
  const needle = view.filter.trim().toLowerCase();
  const rows = report.concepts
    .filter((c) => !view.category || c.category === view.category)
    .filter((c) => !needle || c.concept.toLowerCase().includes(needle) || c.category.toLowerCase().includes(needle))
    .map((c) => ({ concept: c.concept, category: c.category, scores: c[view.kind], row: c }));
  const dir = view.descending ? -1 : 1;
  return rows
    .map((r, i) => ({ r, i, v: sortValue(r, view.sort) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      const c = typeof a.v === 'string' ? a.v.localeCompare(b.v as string) : (a.v as number) - (b.v as number);
      return c !== 0 ? dir * c : a.i - b.i; // stable: dataset order among equals
    })
    .map(({ r }) => r);
}

export const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '–' : v.toFixed(digits));
export const signed = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '–' : `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(digits)}`);

/** "IoU" or "AP", the table's metric name for a probe kind. */
export const metricName = (kind: ProbeKindName): string => (kind === 'segmentation' ? 'IoU' : 'AP');

/** The score the filters-needed criterion asks for (METHODS.md §5.7): p·IoU(K), or 0.5 + p·(acc(K) − 0.5). */
export function curveTarget(kind: ProbeKindName, curve: { filters: number; score: number | null }[], fraction: number): number | null {
  const full = curve.at(-1)?.score;
  if (full === null || full === undefined) return null;
  return kind === 'segmentation' ? fraction * full : 0.5 + fraction * (full - 0.5);
}
