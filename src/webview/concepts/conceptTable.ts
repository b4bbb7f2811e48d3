// The Concepts table: one row per concept for the chosen probe kind — concept, category, best single filter and its
// score, the Net2Vec probe's score, the gain, and the filters needed for p of the full probe's score. Column headers
// sort (aria-sort), rows select by click or Enter, arrow keys move the selection.
import type { ConceptsReport, ConceptsView, SortKey } from '../conceptsPanelProtocol';
import { el } from '../explain/dom';
import { fmt, metricName, signed, tableRows, type TableRow } from './tableModel';

export interface TableActions {
  sort(key: SortKey): void;
  select(concept: string): void;
}

interface Column { key: SortKey; label: (m: string, p: number) => string; title: string; num: boolean; cell: (r: TableRow) => Node | string }

const COLUMNS: Column[] = [
  { key: 'concept', label: () => 'Concept', title: 'The concept (label) probed', num: false, cell: (r) => r.concept },
  { key: 'category', label: () => 'Category', title: 'Its category (the one in which it covers most pixels)', num: false, cell: (r) => r.category },
  { key: 'bestFilter', label: () => 'Best filter', title: 'The single filter that scores best on the train split', num: true, cell: (r) => (r.scores ? `#${r.scores.bestFilter}` : '–') },
  { key: 'bestFilterScore', label: (m) => `Filter ${m}`, title: 'The best single filter\'s score on the val split', num: true, cell: (r) => fmt(r.scores?.bestFilterScore) },
  { key: 'score', label: (m) => `Net2Vec ${m}`, title: 'The learned filter combination\'s score on the val split', num: true, cell: (r) => fmt(r.scores?.score) },
  {
    key: 'gain', label: () => 'Gain', title: 'Net2Vec minus best single filter', num: true,
    cell: (r) => { const g = r.scores?.gain; return el('span', { cls: g === null || g === undefined ? '' : g > 0 ? 'gain-pos' : g < 0 ? 'gain-neg' : '' }, signed(g)); },
  },
  { key: 'filtersNeeded', label: (_m, p) => `Filters for ${p} %`, title: 'Fewest top-|w| filters whose retrained probe reaches this fraction of the full probe\'s score', num: true, cell: (r) => (r.scores?.filtersNeeded === undefined ? '–' : String(r.scores.filtersNeeded)) },
];

export class ConceptTable {
  readonly root: HTMLElement;
  private readonly table: HTMLTableElement;
  private rows: TableRow[] = [];

  constructor(private readonly actions: TableActions) {
    this.table = el('table', { cls: 'concepts', attrs: { 'data-testid': 'concept-table', 'aria-label': 'Concepts' } }) as HTMLTableElement;
    this.root = el('div', { cls: 'table-wrap' }, this.table);
    this.table.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Draws the rows for the view; returns how many there are. */
  render(report: ConceptsReport, view: ConceptsView): number {
    this.rows = tableRows(report, view);
    const m = metricName(view.kind);
    const p = Math.round(report.fraction * 100);
    const head = el('tr', {}, ...COLUMNS.map((c) => {
      const b = el('button', { attrs: { type: 'button', title: c.title, 'data-sort': c.key } }, c.label(m, p));
      b.addEventListener('click', () => this.actions.sort(c.key));
      return el('th', {
        cls: c.num ? 'num' : '', attrs: { scope: 'col', 'aria-sort': view.sort === c.key ? (view.descending ? 'descending' : 'ascending') : 'none' },
      }, b);
    }));
    const body = el('tbody', {}, ...this.rows.map((r) => {
      const tr = el('tr', {
        attrs: { tabindex: '0', 'data-concept': r.concept, 'aria-selected': String(r.concept === view.selected), ...(r.row.notes.length ? { title: r.row.notes.join('\n') } : {}) },
      }, ...COLUMNS.map((c) => el('td', { cls: [c.num ? 'num' : '', c.key === 'concept' ? 'concept' : '', c.key === 'category' || !r.scores ? 'muted' : ''].filter(Boolean).join(' ') }, c.cell(r))));
      tr.addEventListener('click', () => this.actions.select(r.concept));
      return tr;
    }));
    if (!this.rows.length) body.append(el('tr', {}, el('td', { cls: 'empty', attrs: { colspan: String(COLUMNS.length) } }, 'No concept matches the filter.')));
    this.table.replaceChildren(el('thead', {}, head), body);
    return this.rows.length;
  }

  /** Marks the selected row without redrawing the table. */
  markSelected(concept: string | undefined): void {
    for (const tr of Array.from(this.table.querySelectorAll<HTMLElement>('tbody tr'))) tr.setAttribute('aria-selected', String(tr.dataset.concept === concept));
  }

  /** Scrolls the selected row into view (after a selection from elsewhere, e.g. a nearest concept). */
  reveal(concept: string): void {
    const tr = Array.from(this.table.querySelectorAll<HTMLElement>('tbody tr')).find((t) => t.dataset.concept === concept);
    tr?.scrollIntoView({ block: 'nearest' });
  }

  private onKey(e: KeyboardEvent) {
    const tr = (e.target as HTMLElement).closest('tr');
    const concept = tr?.dataset.concept;
    if (!tr || !concept) return;
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.actions.select(concept); return; }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const i = this.rows.findIndex((r) => r.concept === concept) + (e.key === 'ArrowDown' ? 1 : -1);
    const next = this.rows[i];
    if (!next) return;
    this.actions.select(next.concept);
    Array.from(this.table.querySelectorAll<HTMLElement>('tbody tr')).find((t) => t.dataset.concept === next.concept)?.focus();
  }
}
