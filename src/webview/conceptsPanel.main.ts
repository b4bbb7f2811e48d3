// Front end of the Concepts panel (bundled to dist/webview/conceptsPanel.main.js). Draws the report from the persisted
// state at once, says "ready" (the extension then re-sends what it holds: a fresher report, or the progress of a run),
// and validates every message it receives. Report and view go through setState after each change, so the panel
// survives hiding and a window reload.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { ConceptDetail } from './concepts/conceptDetail';
import { ConceptTable } from './concepts/conceptTable';
import { CONCEPTS_CSS } from './concepts/styles';
import { categoriesOf, kindsOf } from './concepts/tableModel';
import {
  CONCEPTS_STATE_VERSION, DEFAULT_CONCEPTS_VIEW, validateConceptsState, validateToConcepts,
  type ConceptsReport, type ConceptsState, type ConceptsView, type FromConceptsPanel, type SortKey, type ToConceptsPanel,
} from './conceptsPanelProtocol';
import { el } from './explain/dom';

interface VsCodeApi { postMessage(m: FromConceptsPanel): void; getState(): unknown; setState(s: ConceptsState): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const sheet = new CSSStyleSheet();
sheet.replaceSync(CONCEPTS_CSS);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const restored = validateConceptsState(vscode.getState());
let report: ConceptsReport | null = restored?.report ?? null;
let view: ConceptsView = restored?.view ?? { ...DEFAULT_CONCEPTS_VIEW };
const post = (m: FromConceptsPanel) => vscode.postMessage(m);
const save = () => { if (report) vscode.setState({ version: CONCEPTS_STATE_VERSION, report, view }); };

type Field = HTMLElement & { value: string };

const title = el('h1', { attrs: { 'data-testid': 'panel-title' } }, 'Concepts');
const exportCsv = el('vscode-button', { attrs: { secondary: '', title: 'Save the table as CSV (one row per concept and probe)', 'data-testid': 'export-csv' } }, 'Export CSV');
const exportJson = el('vscode-button', { attrs: { secondary: '', title: 'Save the full probe result as JSON', 'data-testid': 'export-json' } }, 'Export JSON');
const summary = el('div', { cls: 'summary', attrs: { 'data-testid': 'summary' } });
const notice = el('div', { cls: 'notice', attrs: { role: 'status', 'data-testid': 'notice' } });
const filter = el('vscode-textfield', { attrs: { placeholder: 'Filter concepts or categories', 'aria-label': 'Filter', 'data-testid': 'filter' } }) as Field;
const kindLabel = el('label', { attrs: { for: 'kind' } }, 'Probe');
let kindSelect: Field | null = null;
let categorySelect: Field | null = null;
const filters = el('div', { cls: 'filters' });
const table = new ConceptTable({ sort: sortBy, select });
const detail = new ConceptDetail({ select, requestImages: (concept) => { if (report) post({ type: 'requestImages', reportId: report.id, concept }); } });
const layout = el('div', { cls: 'layout' }, table.root, detail.root);
const busy = el('div', { cls: 'busy', attrs: { 'data-testid': 'busy' } });
const app = document.getElementById('app')!;
app.replaceChildren(el('div', { cls: 'toolbar' }, title, exportCsv, exportJson), summary, notice, busy, filters, layout);
exportCsv.addEventListener('click', () => post({ type: 'exportCsv' }));
exportJson.addEventListener('click', () => post({ type: 'exportJson' }));
filter.addEventListener('input', () => { view = { ...view, filter: filter.value }; drawTable(); save(); });

function dropdown<T extends string>(id: string, label: string, options: { value: T; text: string }[], value: T, onChange: (v: T) => void): Field {
  const s = el('vscode-single-select', { attrs: { id, 'aria-label': label, 'data-testid': id } },
    ...options.map((o) => el('vscode-option', { attrs: { value: o.value, ...(o.value === value ? { selected: '' } : {}) } }, o.text))) as Field;
  s.addEventListener('change', () => onChange(s.value as T));
  return s;
}

function sortBy(key: SortKey) {
  // A new column starts with its natural order: names A→Z, scores high→low.
  view = { ...view, sort: key, descending: view.sort === key ? !view.descending : !(key === 'concept' || key === 'category' || key === 'filtersNeeded' || key === 'bestFilter') };
  drawTable();
  save();
}

function select(concept: string) {
  if (!report) return;
  const row = report.concepts.find((c) => c.concept === concept);
  if (!row) return;
  view = { ...view, selected: concept };
  table.markSelected(concept);
  table.reveal(concept);
  detail.show(report, row, view.kind);
  save();
}

function drawTable() {
  if (!report) return;
  const rows = table.render(report, view);
  post({ type: 'rendered', reportId: report.id, rows, kind: view.kind });
}

function showReport(r: ConceptsReport) {
  // Another run's report (not the one the view was saved with): start from the default view.
  if (report && report.id !== r.id) view = { ...DEFAULT_CONCEPTS_VIEW };
  report = r;
  const kinds = kindsOf(r);
  if (kinds.length && !kinds.includes(view.kind)) view = { ...view, kind: kinds[0] };
  if (view.kind === 'classification' && view.sort === 'filtersNeeded' && !r.concepts.some((c) => c.classification?.filtersNeeded)) view = { ...view, sort: 'gain' };

  title.textContent = `Concepts: ${r.modelName} · ${r.layer}`;
  const a = r.activations;
  summary.textContent = `${r.datasetPath} (${r.datasetFormat === 'broden' ? 'Broden' : 'concept folders'}) · ${r.images} images (${r.train} train, ${r.val} val) · ` +
    `layer ${a.h}×${a.w}×${a.filters} · ${r.detectors} detector filter${r.detectors === 1 ? '' : 's'} (NetDissect IoU > 0.04) · ` +
    `${r.concepts.length} concepts · ${(r.elapsedMs / 1000).toFixed(1)} s on ${r.backend}${a.cached ? ', activations from the cache' : ''}`;

  const controls: HTMLElement[] = [filter];
  kindSelect = kinds.length > 1
    ? dropdown('kind', 'Probe kind', kinds.map((k) => ({ value: k, text: k === 'segmentation' ? 'Segmentation (IoU)' : 'Classification (AP)' })), view.kind,
      (k) => { view = { ...view, kind: k }; drawTable(); const row = report?.concepts.find((c) => c.concept === view.selected); if (row && report) detail.show(report, row, k); save(); })
    : null;
  if (kindSelect) controls.unshift(el('div', { cls: 'control' }, kindLabel, kindSelect));
  const categories = categoriesOf(r);
  if (!categories.includes(view.category)) view = { ...view, category: '' };
  categorySelect = categories.length > 1
    ? dropdown('category', 'Category', [{ value: '', text: 'All categories' }, ...categories.map((c) => ({ value: c, text: c }))], view.category,
      (c) => { view = { ...view, category: c }; drawTable(); save(); })
    : null;
  if (categorySelect) controls.push(categorySelect);
  filter.value = view.filter;
  filters.replaceChildren(...controls);
  exportCsv.hidden = exportJson.hidden = false;
  busy.replaceChildren();
  layout.hidden = filters.hidden = false;

  drawTable();
  const row = r.concepts.find((c) => c.concept === view.selected);
  if (row) detail.show(r, row, view.kind); else detail.clear();
  save();
}

function showBusy(m: Extract<ToConceptsPanel, { type: 'busy' }>) {
  const bar = el('vscode-progress-bar', { attrs: { 'aria-label': m.title } }) as HTMLElement & { value?: number; max?: number; indeterminate?: boolean };
  if (m.total > 1) { bar.setAttribute('value', String(m.step)); bar.setAttribute('max', String(m.total)); } else bar.setAttribute('indeterminate', '');
  const cancel = el('vscode-button', { attrs: { secondary: '', 'data-testid': 'cancel' } }, 'Cancel');
  cancel.addEventListener('click', () => post({ type: 'cancel' }));
  busy.replaceChildren(el('div', { cls: 'row' }, el('strong', {}, m.title), cancel), el('div', { cls: 'sub', attrs: { 'data-testid': 'busy-message' } }, m.message), bar);
  if (!report) { title.textContent = 'Concepts'; layout.hidden = filters.hidden = true; exportCsv.hidden = exportJson.hidden = true; }
}

function receive(m: ToConceptsPanel) {
  switch (m.type) {
    case 'report': showReport(m.report); break;
    case 'busy': showBusy(m); break;
    case 'failed':
      busy.replaceChildren(el('p', { cls: m.cancelled ? 'empty' : 'error', attrs: { 'data-testid': 'failure' } }, m.cancelled ? 'Probing was cancelled.' : `Probing failed: ${m.message}`));
      break;
    case 'images': if (report && m.reportId === report.id) void detail.images(m.concept, m.images); break;
    case 'notice': notice.textContent = m.message; break;
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  let m: ToConceptsPanel;
  try { m = validateToConcepts(ev.data); } catch (e) { console.warn(`[cnn-lens] ${(e as Error).message}`); return; }
  receive(m);
});

// Theme changes swap the body class; the chart reads its colours from CSS variables, so it is redrawn.
new MutationObserver(() => detail.retheme()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

if (report) showReport(report);
else { layout.hidden = filters.hidden = true; exportCsv.hidden = exportJson.hidden = true; busy.replaceChildren(el('p', { cls: 'empty' }, 'Waiting for the probe…')); }
post({ type: 'ready' });
