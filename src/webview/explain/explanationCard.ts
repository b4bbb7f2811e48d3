// One explanation in the panel: the picture with the attribution overlay and its controls, the per-area masks of
// a perturbation method with their area–score curve, the top-5 predictions, the settings, and the exports.
// A card first shows a run in progress (live mask over the source picture), then settles on the result.
import type { ExplanationEntry, ExportKind, PendingEntry, ProgressUpdate } from '../explainPanelProtocol';
import { AreaChart } from './areaChart';
import { base64ToBytes, base64ToFloats, dataUrlPayload } from './base64';
import { colormapGradient, COLORMAPS, type ColormapName } from './colormaps';
import { heatmapRgba, isUnitMask, maskRgba, normalise, overlay, perturbed, rgbToRgba, type OverlayMode } from './compose';
import { el } from './dom';

export type PerturbationView = 'overlay' | 'preserve' | 'delete' | 'dual';

/** Display choices of a card, persisted in the webview state. */
export interface CardView {
  colormap: ColormapName;
  opacity: number;
  mode: OverlayMode;
  threshold: number;
  mapIndex: number;
  view: PerturbationView;
}

export const DEFAULT_VIEW: CardView = { colormap: 'inferno', opacity: 0.7, mode: 'blend', threshold: 0.5, mapIndex: 0, view: 'overlay' };

export interface CardActions {
  cancel(id: string): void;
  remove(id: string): void;
  copyCli(id: string): void;
  exportJson(id: string): void;
  exportPng(id: string, kind: ExportKind, png: string): void;
  viewChanged(id: string, view: CardView): void;
}

interface DecodedMap { name: string; area?: number; width: number; height: number; values01: Float32Array; raw: Float32Array }

const METHOD_LABELS: Record<string, string> = {
  extremal: 'Extremal perturbation', meaningful: 'Meaningful perturbation', gradient: 'Gradient', guided: 'Guided backprop',
  deconvnet: 'Deconvnet', gradcam: 'Grad-CAM', linear: 'Linear approximation', rise: 'RISE', occlusion: 'Occlusion',
};
const methodLabel = (m: string) => METHOD_LABELS[m] ?? m;
const pct = (p: number) => `${(100 * p).toFixed(1)} %`;

function button(label: string, onClick: () => void, opts: { secondary?: boolean; title?: string; testId?: string } = {}): HTMLElement {
  const b = el('vscode-button', { attrs: { ...(opts.secondary ? { secondary: '' } : {}), ...(opts.title ? { title: opts.title, 'aria-label': opts.title } : {}), ...(opts.testId ? { 'data-testid': opts.testId } : {}) } }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** A labelled range input; `format` turns its value into the text shown beside it and read by screen readers. */
function slider(label: string, min: number, max: number, step: number, value: number, onInput: (v: number) => void, testId: string,
  format: (v: number) => string = (v) => (step < 1 ? `${Math.round(v * 100)}%` : String(v))): HTMLElement {
  const id = `s${Math.random().toString(36).slice(2)}`;
  const out = el('output', { attrs: { for: id } });
  const input = el('input', { attrs: { type: 'range', id, min: String(min), max: String(max), step: String(step), 'data-testid': testId } }) as HTMLInputElement;
  input.value = String(value);
  const show = () => {
    out.textContent = format(Number(input.value));
    input.setAttribute('aria-valuetext', out.textContent);
  };
  input.addEventListener('input', () => { show(); onInput(Number(input.value)); });
  show();
  return el('div', { cls: 'control' }, el('label', { attrs: { for: id } }, label), input, out);
}

function select<T extends string>(label: string, options: readonly T[], value: T, onChange: (v: T) => void, testId: string, names?: Record<string, string>): HTMLElement {
  const id = `q${Math.random().toString(36).slice(2)}`;
  const s = el('vscode-single-select', { attrs: { id, 'data-testid': testId, 'aria-label': label } },
    ...options.map((o) => el('vscode-option', { attrs: { value: o, ...(o === value ? { selected: '' } : {}) } }, names?.[o] ?? o))) as HTMLElement & { value: string };
  s.addEventListener('change', () => onChange(s.value as T));
  return el('div', { cls: 'control' }, el('label', { attrs: { for: id } }, label), s);
}

function canvasOf(w: number, h: number, px: Uint8ClampedArray, label: string): HTMLCanvasElement {
  const c = el('canvas', { attrs: { width: String(w), height: String(h), role: 'img', 'aria-label': label } }) as HTMLCanvasElement;
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(px), w, h), 0, 0);
  return c;
}

/** The picture blurred with a Gaussian of σ ≈ w/11 px (the blur perturbation's strongest level at 224 px is 20 px). */
function blurredCopy(rgba: Uint8ClampedArray, w: number, h: number): Uint8ClampedArray {
  const src = canvasOf(w, h, rgba, '');
  const c = document.createElement('canvas');
  c.width = w; c.height = h;
  const ctx = c.getContext('2d')!;
  ctx.filter = `blur(${Math.max(2, Math.round(w / 11))}px)`;
  // Edge pixels would blur towards transparent: draw the picture under a slightly larger copy of itself.
  ctx.drawImage(src, -4, -4, w + 8, h + 8);
  ctx.drawImage(src, 0, 0);
  return ctx.getImageData(0, 0, w, h).data;
}

export class ExplanationCard {
  readonly root: HTMLElement;
  private entry?: ExplanationEntry;
  private maps: DecodedMap[] = [];
  private picture?: Uint8ClampedArray;
  private blurred?: Uint8ClampedArray;
  private chart?: AreaChart;
  private stage!: HTMLElement;
  private liveCanvas?: HTMLCanvasElement;
  private progressBar?: HTMLElement & { value?: number; max: number };
  private progressText?: HTMLElement;

  constructor(readonly id: string, private view: CardView, private readonly actions: CardActions) {
    this.root = el('section', { cls: 'card', attrs: { 'data-id': id, 'aria-label': 'Explanation' } });
  }

  get isSettled(): boolean { return !!this.entry; }

  /** A run in progress: the source picture (when the browser can show it) under the live mask. */
  showPending(p: PendingEntry): void {
    this.root.replaceChildren();
    this.root.classList.add('pending');
    const head = el('header', {}, el('h2', {}, `${methodLabel(p.method)} · ${p.targetLabel}`),
      el('span', { cls: 'sub' }, `${p.modelName} · running…`),
      button('Cancel', () => this.actions.cancel(this.id), { secondary: true, title: 'Cancel this explanation', testId: 'cancel' }));
    this.stage = el('div', { cls: 'stage live', attrs: { 'data-testid': 'live-stage' } });
    if (p.imageSrc) this.stage.append(el('img', { attrs: { src: p.imageSrc, alt: p.imageName } }));
    else this.stage.append(el('div', { cls: 'placeholder' }, p.imageName));
    this.progressBar = el('vscode-progress-bar', { attrs: { 'aria-label': 'progress', indeterminate: '' } }) as any;
    this.progressText = el('div', { cls: 'sub', attrs: { 'data-testid': 'progress-text' } }, 'Starting…');
    this.root.append(head, this.stage, this.progressBar!, this.progressText);
  }

  progress(u: ProgressUpdate): void {
    if (this.entry) return;
    if (this.progressBar) { this.progressBar.removeAttribute('indeterminate'); this.progressBar.max = u.total; this.progressBar.value = u.step + 1; }
    const terms = u.terms ? Object.entries(u.terms).slice(0, 4).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(' · ') : '';
    if (this.progressText) this.progressText.textContent = `step ${u.step + 1} of ${u.total}${terms ? ` · ${terms}` : ''}`;
    const m = u.maps?.[0];
    if (!m) return;
    const raw = base64ToFloats(m.data);
    const v = isUnitMask(raw) ? raw : normalise(raw);
    const px = heatmapRgba(v, this.view.colormap, Math.max(0.5, this.view.opacity));
    if (!this.liveCanvas || this.liveCanvas.width !== m.width || this.liveCanvas.height !== m.height) {
      this.liveCanvas?.remove();
      this.liveCanvas = canvasOf(m.width, m.height, px, 'live mask');
      this.liveCanvas.classList.add('live-mask');
      this.liveCanvas.dataset.testid = 'live-mask';
      this.stage.append(this.liveCanvas);
    } else this.liveCanvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(px), m.width, m.height), 0, 0);
    this.liveCanvas.dataset.step = String(u.step);
  }

  failed(message: string): void {
    this.root.replaceChildren(
      el('header', {}, el('h2', {}, 'Explanation failed'), button('Dismiss', () => this.actions.remove(this.id), { secondary: true, testId: 'dismiss' })),
      el('p', { cls: 'error', attrs: { role: 'alert' } }, message),
    );
  }

  settle(entry: ExplanationEntry): void {
    this.entry = entry;
    this.root.classList.remove('pending');
    this.picture = rgbToRgba(base64ToBytes(entry.image.rgb));
    this.blurred = undefined;
    const sameSize = entry.maps.filter((m) => m.width === entry.image.width && m.height === entry.image.height);
    const decoded = sameSize.map((m) => {
      const raw = base64ToFloats(m.data);
      return { name: m.name, area: m.area, width: m.width, height: m.height, raw, values01: isUnitMask(raw) ? raw : normalise(raw) };
    });
    // Per-area masks in increasing area, so the slider moves from the smallest region to the largest.
    const withArea = decoded.filter((m) => m.area !== undefined).sort((a, b) => a.area! - b.area!);
    this.maps = withArea.length ? withArea : decoded;
    this.view.mapIndex = Math.min(this.view.mapIndex, Math.max(0, this.maps.length - 1));
    if (!this.isMask && this.view.view !== 'overlay') this.view.view = 'overlay';
    this.render();
  }

  /** The theme changed: chart colours come from CSS variables. */
  retheme(): void {
    this.chart?.update(this.currentArea ?? 0);
  }

  destroy(): void {
    this.chart?.destroy();
    this.root.remove();
  }

  private get isMask(): boolean {
    return this.maps.some((m) => m.area !== undefined) || this.entry?.method === 'meaningful';
  }

  private get currentArea(): number | undefined {
    return this.maps[this.view.mapIndex]?.area;
  }

  private setView(patch: Partial<CardView>) {
    this.view = { ...this.view, ...patch };
    this.actions.viewChanged(this.id, this.view);
    this.drawStage();
    if (patch.mapIndex !== undefined) { this.chart?.update(this.currentArea ?? 0); this.updateAreaLabel(); }
  }

  private areaLabel?: HTMLElement;
  private updateAreaLabel() {
    const m = this.maps[this.view.mapIndex];
    if (!this.areaLabel || !m || !this.entry) return;
    const i = this.areaScoreIndex(m.area);
    const s = this.entry.scores;
    const parts = [`area ${Math.round((m.area ?? 0) * 100)}%`];
    if (i >= 0 && s.preserved?.[i] !== undefined) parts.push(`preserved score ${s.preserved[i].toFixed(3)}`);
    if (i >= 0 && s.deleted?.[i] !== undefined) parts.push(`deleted score ${s.deleted[i].toFixed(3)}`);
    parts.push(`whole image ${s.original.toFixed(3)}`);
    this.areaLabel.textContent = parts.join(' · ');
  }

  /** Index into scores.preserved/deleted for a mask's area (scores follow the order of settings.areas). */
  private areaScoreIndex(area: number | undefined): number {
    if (area === undefined || !this.entry) return -1;
    const areas = this.settingsAreas();
    return areas.findIndex((a) => Math.abs(a - area) < 1e-9);
  }

  private settingsAreas(): number[] {
    const s = this.entry?.settings.areas;
    if (Array.isArray(s) && s.every((x) => typeof x === 'number')) return s as number[];
    return this.maps.filter((m) => m.area !== undefined).map((m) => m.area!);
  }

  private render() {
    const e = this.entry!;
    this.chart?.destroy();
    this.chart = undefined;
    const head = el('header', {},
      el('h2', {}, `${methodLabel(e.method)} · ${e.targetLabel}`),
      el('span', { cls: 'sub' }, `${e.modelName} · class ${e.target} · ${(e.elapsedMs / 1000).toFixed(1)} s on ${e.backend}`),
      button('×', () => this.actions.remove(this.id), { secondary: true, title: 'Close this explanation', testId: 'remove' }));

    this.stage = el('div', { cls: 'stage', attrs: { 'data-testid': 'overlay-stage' } });
    const controls = el('div', { cls: 'controls' },
      select('Colour map', COLORMAPS, this.view.colormap, (v) => { this.setView({ colormap: v }); legend.style.background = colormapGradient(v); }, 'colormap'),
      slider('Opacity', 0, 1, 0.05, this.view.opacity, (v) => this.setView({ opacity: v }), 'opacity'),
      select('Mode', ['blend', 'threshold'] as const, this.view.mode, (v) => { this.setView({ mode: v }); thr.hidden = v !== 'threshold'; }, 'mode'),
    );
    const thr = slider('Threshold', 0, 1, 0.05, this.view.threshold, (v) => this.setView({ threshold: v }), 'threshold');
    thr.hidden = this.view.mode !== 'threshold';
    controls.append(thr);
    const legend = el('div', { cls: 'legend', attrs: { 'aria-hidden': 'true' } });
    legend.style.background = colormapGradient(this.view.colormap);

    // Two columns when the card is wide (CSS container query): the picture and its controls, then the numbers.
    const parts: HTMLElement[] = [this.stage, el('div', { cls: 'legend-row' }, el('span', {}, 'low'), legend, el('span', {}, 'high')), controls];
    const info: HTMLElement[] = [];

    if (this.isMask) {
      parts.push(el('div', { cls: 'controls' }, select('View', ['overlay', 'preserve', 'delete', 'dual'] as const, this.view.view, (v) => this.setView({ view: v }), 'view',
        { overlay: 'Overlay', preserve: 'Preserved region', delete: 'Deleted region', dual: 'Preserved | deleted' })));
    }
    if (this.maps.length > 1) {
      const hasAreas = this.maps.some((m) => m.area !== undefined);
      const label = hasAreas ? 'Area' : 'Map';
      // The slider steps through the maps; beside it, the area it stands for (or the map's name).
      const shown = (i: number) => (this.maps[i].area !== undefined ? `${Math.round(this.maps[i].area! * 100)}%` : this.maps[i].name);
      parts.push(el('div', { cls: 'controls' }, slider(label, 0, this.maps.length - 1, 1, this.view.mapIndex, (v) => this.setView({ mapIndex: v }), 'area', shown)));
      this.areaLabel = el('div', { cls: 'sub', attrs: { 'data-testid': 'area-label' } });
      parts.push(this.areaLabel);
    }
    const areas = this.settingsAreas();
    if (areas.length && (e.scores.preserved?.length || e.scores.deleted?.length)) {
      const canvas = el('canvas', { attrs: { role: 'img', 'aria-label': 'Class score against mask area', 'data-testid': 'area-chart' } }) as HTMLCanvasElement;
      const box = el('div', { cls: 'chart' }, canvas);
      info.push(el('h3', {}, 'Score against area'), box);
      queueMicrotask(() => { this.chart = new AreaChart(canvas, { areas, preserved: e.scores.preserved, deleted: e.scores.deleted, original: e.scores.original }, this.currentArea ?? areas[0]); });
    }
    if (e.predictions.length) {
      const rows = e.predictions.map((p) => el('tr', { cls: p.index === e.target ? 'target' : '' },
        el('td', {}, p.label), el('td', { cls: 'num' }, pct(p.probability)),
        el('td', { cls: 'bar-cell' }, (() => { const b = el('div', { cls: 'bar' }); b.style.width = `${Math.max(1, p.probability * 100)}%`; return b; })())));
      info.push(el('h3', {}, 'Top-5 predictions'), el('table', { cls: 'preds', attrs: { 'data-testid': 'predictions' } },
        el('thead', {}, el('tr', {}, el('th', {}, 'class'), el('th', { cls: 'num' }, 'probability'), el('th', {}, ''))), el('tbody', {}, ...rows)));
    }
    const settings = Object.entries(e.settings).map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v))));
    const coll = el('vscode-collapsible', { attrs: { heading: `${methodLabel(e.method)} settings`, 'data-testid': 'settings' } },
      el('table', { cls: 'settings' }, el('tbody', {}, ...settings)));
    info.push(coll);
    info.push(el('div', { cls: 'exports' },
      button('Overlay PNG', () => this.exportPng('overlay'), { secondary: true, title: 'Save the overlay as PNG', testId: 'export-overlay' }),
      button('Mask PNG', () => this.exportPng('mask'), { secondary: true, title: 'Save the map as a grey-scale PNG', testId: 'export-mask' }),
      button('JSON', () => this.actions.exportJson(this.id), { secondary: true, title: 'Save the raw values as JSON', testId: 'export-json' }),
      button('Copy as CLI command', () => this.actions.copyCli(this.id), { secondary: true, title: 'Copy the command line that reproduces this run', testId: 'copy-cli' })));
    this.root.replaceChildren(head, el('div', { cls: 'card-body' }, el('div', { cls: 'col' }, ...parts), el('div', { cls: 'col' }, ...info)));
    this.drawStage();
    this.updateAreaLabel();
  }

  /** Draws the picture in the current view into the stage (one canvas, two for the dual view). */
  private drawStage() {
    const e = this.entry;
    const m = this.maps[this.view.mapIndex];
    if (!e || !this.picture) return;
    const { width: w, height: h } = e.image;
    const canvases: HTMLCanvasElement[] = [];
    if (!m) {
      canvases.push(canvasOf(w, h, this.picture, e.imageName));
    } else if (this.view.view === 'overlay' || !this.isMask) {
      canvases.push(canvasOf(w, h, overlay(this.picture, m.values01, this.view), `${methodLabel(e.method)} overlay for ${e.targetLabel}`));
    } else {
      this.blurred ??= blurredCopy(this.picture, w, h);
      const kinds: ('preserve' | 'delete')[] = this.view.view === 'dual' ? ['preserve', 'delete'] : [this.view.view];
      for (const k of kinds) canvases.push(canvasOf(w, h, perturbed(this.picture, this.blurred, m.values01, k), `${k === 'preserve' ? 'preserved' : 'deleted'} region`));
    }
    for (const c of canvases) c.dataset.testid = 'overlay';
    this.stage.classList.toggle('dual', canvases.length > 1);
    this.stage.replaceChildren(...canvases);
  }

  private exportPng(kind: ExportKind) {
    const m = this.maps[this.view.mapIndex];
    if (!this.entry) return;
    let canvas: HTMLCanvasElement | undefined;
    if (kind === 'mask' && m) canvas = canvasOf(m.width, m.height, maskRgba(m.values01), 'mask');
    else {
      const shown = Array.from(this.stage.querySelectorAll('canvas'));
      if (shown.length === 1) canvas = shown[0];
      else if (shown.length > 1) {
        canvas = document.createElement('canvas');
        canvas.width = shown.reduce((s, c) => s + c.width, 0); canvas.height = shown[0].height;
        let x = 0;
        for (const c of shown) { canvas.getContext('2d')!.drawImage(c, x, 0); x += c.width; }
      }
    }
    if (canvas) this.actions.exportPng(this.id, kind, dataUrlPayload(canvas.toDataURL('image/png')));
  }
}
