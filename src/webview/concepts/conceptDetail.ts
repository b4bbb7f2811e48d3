// The selected concept: its scores, the probe's top filters with their weights, validation images with the
// predicted and true masks, the filters-needed curve, and the nearest concepts in embedding space (METHODS.md §5.8).
import { decodeRle } from '../../engine/probing/maskRle';
import type { ConceptRow, ConceptsReport, ExampleImage, PanelExample, ProbeKindName } from '../conceptsPanelProtocol';
import { el } from '../explain/dom';
import { CurveChart } from './curveChart';
import { overlayMasks, PREDICTED_RGB, TRUTH_RGB } from './maskOverlay';
import { fmt, metricName, signed } from './tableModel';

export interface DetailActions {
  select(concept: string): void;
  requestImages(concept: string): void;
}

const rgb = (c: readonly number[]) => `rgb(${c.join(',')})`;

function scoresTable(rows: [string, string][]): HTMLElement {
  return el('table', { cls: 'scores', attrs: { 'data-testid': 'scores' } }, el('tbody', {}, ...rows.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', { cls: 'num' }, v)))));
}

/** Loads a data: URL into RGBA pixels (null when it cannot be decoded). */
async function pixels(src: string): Promise<{ data: Uint8ClampedArray; width: number; height: number } | null> {
  const img = new Image();
  img.src = src;
  try { await img.decode(); } catch { return null; }
  const c = document.createElement('canvas');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(img, 0, 0);
  return { data: ctx.getImageData(0, 0, c.width, c.height).data, width: c.width, height: c.height };
}

export class ConceptDetail {
  readonly root: HTMLElement;
  private chart: CurveChart | null = null;
  private examples: { concept: string; canvases: { canvas: HTMLCanvasElement; example: PanelExample }[] } | null = null;

  constructor(private readonly actions: DetailActions) {
    this.root = el('section', { cls: 'detail', attrs: { 'data-testid': 'concept-detail', 'aria-live': 'polite' } });
    this.clear();
  }

  clear(): void {
    this.destroyChart();
    this.examples = null;
    this.root.replaceChildren(el('p', { cls: 'empty' }, 'Select a concept to see its filters, validation images, filters-needed curve and nearest concepts.'));
  }

  show(report: ConceptsReport, row: ConceptRow, kind: ProbeKindName): void {
    this.destroyChart();
    this.examples = null;
    const s = row[kind];
    const m = metricName(kind);
    const parts: Node[] = [
      el('h2', { attrs: { 'data-testid': 'detail-title' } }, row.concept),
      el('div', { cls: 'sub' }, `${row.category} · ${row.trainImages} train / ${row.valImages} val images with it · ${kind} probe`),
    ];
    if (row.notes.length) parts.push(el('p', { cls: 'notes' }, ...row.notes.flatMap((n, i) => (i ? [el('br'), n] : [n]))));
    const nd = `#${row.netDissect.filter} · IoU ${fmt(row.netDissect.iou)}`;
    if (!s) {
      parts.push(el('p', { cls: 'empty' }, `No ${kind} probe for this concept.`), scoresTable([['NetDissect best filter', nd]]));
      this.root.replaceChildren(...parts);
      return;
    }
    parts.push(scoresTable([
      [`Net2Vec ${m} (val)`, fmt(s.score)],
      [`Best single filter (train) and its ${m} (val)`, `#${s.bestFilter} · ${fmt(s.bestFilterScore)}`],
      ['Gain', `${signed(s.gain)}${s.gainRatio !== null ? ` (×${s.gainRatio.toFixed(2)})` : ''}`],
      [kind === 'segmentation' ? 'Mean per-image IoU' : 'Accuracy (val)', fmt(s.secondary)],
      [`Filters for ${Math.round(report.fraction * 100)} % of the score`, s.filtersNeeded === undefined ? '–' : `${s.filtersNeeded} of ${report.activations.filters}`],
      ['NetDissect best filter', nd],
    ]));

    const maxW = Math.max(1e-12, ...s.topFilters.map((t) => Math.abs(t.weight)));
    parts.push(el('h3', {}, 'Top filters by |weight|'), el('table', { cls: 'weights', attrs: { 'data-testid': 'top-filters' } }, el('tbody', {}, ...s.topFilters.map((t) => {
      const frac = (50 * Math.abs(t.weight)) / maxW;
      const bar = el('div', { cls: `bar${t.weight < 0 ? ' neg' : ''}` });
      bar.style.left = t.weight < 0 ? `${50 - frac}%` : '50%';
      bar.style.width = `${frac}%`;
      return el('tr', {}, el('td', { cls: 'filter' }, `#${t.filter}`), el('td', { cls: 'num' }, signed(t.weight, 3)),
        el('td', { cls: 'bar-cell' }, el('div', { cls: 'wbar', attrs: { 'aria-hidden': 'true' } }, el('div', { cls: 'axis' }), bar)));
    }))));

    if (kind === 'segmentation' && s.examples?.length) {
      const canvases = s.examples.map((example) => {
        const [w, h] = [example.truth.width, example.truth.height];
        const canvas = el('canvas', { attrs: { width: String(w), height: String(h), 'data-testid': 'example', 'aria-label': `${example.image}: predicted and true masks` } }) as HTMLCanvasElement;
        this.paint(canvas, example, null);
        return { canvas, example };
      });
      this.examples = { concept: row.concept, canvases };
      // Swatch colours through the CSSOM: the CSP allows no inline style attributes.
      const pred = el('span', { cls: 'swatch' });
      pred.style.background = rgb(PREDICTED_RGB);
      const truth = el('span', { cls: 'swatch' });
      truth.style.border = `2px solid ${rgb(TRUTH_RGB)}`;
      parts.push(
        el('h3', {}, 'Validation images'),
        el('div', { cls: 'key' }, el('span', {}, pred, 'predicted (M > 0.5)'), el('span', {}, truth, 'true mask (outline)')),
        el('div', { cls: 'examples', attrs: { 'data-testid': 'examples' } }, ...canvases.map(({ canvas, example }) =>
          el('figure', {}, canvas, el('figcaption', { attrs: { title: example.file } }, `IoU ${fmt(example.iou, 2)} · ${example.image.split('/').pop()}`)))),
      );
      this.actions.requestImages(row.concept);
    }

    let chartCanvas: HTMLCanvasElement | null = null;
    if (s.curve?.length) {
      chartCanvas = el('canvas', { attrs: { 'data-testid': 'curve-chart', 'aria-label': 'Filters-needed curve' } }) as HTMLCanvasElement;
      parts.push(el('h3', {}, 'Filters needed'), el('div', { cls: 'chart' }, chartCanvas));
    }

    parts.push(el('h3', {}, 'Nearest concepts (cosine of the probe weights)'));
    if (s.nearest.length) {
      parts.push(el('ol', { cls: 'nearest', attrs: { 'data-testid': 'nearest' } }, ...s.nearest.map((n) => {
        const a = el('a', { attrs: { role: 'button', tabindex: '0', 'data-concept': n.concept } }, n.concept);
        const go = () => this.actions.select(n.concept);
        a.addEventListener('click', go);
        a.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') go(); });
        return el('li', {}, a, el('span', { cls: 'muted' }, ` ${fmt(n.cosine)}`));
      })));
    } else parts.push(el('p', { cls: 'empty' }, 'No other concept was probed the same way.'));

    this.root.replaceChildren(...parts);
    if (chartCanvas) this.chart = new CurveChart(chartCanvas, { kind, curve: s.curve!, needed: s.filtersNeeded, fraction: report.fraction });
  }

  /** The pictures of the shown concept's examples arrived: redraw them under the masks. */
  async images(concept: string, images: ExampleImage[]): Promise<void> {
    const shown = this.examples;
    if (!shown || shown.concept !== concept) return;
    await Promise.all(shown.canvases.map(async ({ canvas, example }) => {
      const src = images.find((i) => i.image === example.image)?.src;
      const px = src ? await pixels(src) : null;
      if (px && this.examples === shown) this.paint(canvas, example, px);
    }));
  }

  retheme(): void {
    this.chart?.retheme();
  }

  private paint(canvas: HTMLCanvasElement, e: PanelExample, px: { data: Uint8ClampedArray; width: number; height: number } | null) {
    const truth = decodeRle(e.truth);
    const predicted = decodeRle(e.predicted);
    const [w, h] = px ? [px.width, px.height] : [e.truth.width, e.truth.height];
    // Without the picture (not loaded yet, or unreadable): the masks on mid grey.
    const base = px?.data ?? new Uint8ClampedArray(w * h * 4).fill(110);
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d')!.putImageData(new ImageData(overlayMasks(base, w, h, predicted, truth, e.truth.width, e.truth.height) as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0);
    canvas.dataset.loaded = String(px !== null);
  }

  private destroyChart() {
    this.chart?.destroy();
    this.chart = null;
  }
}
