// Front end of the Similarity panel (bundled to dist/webview/similarityPanel.main.js, METHODS.md §6). The extension
// sends each image's normalised cell vectors once; every hover is computed here (one matrix–vector product per image
// and layer, similarity/similarityModel.ts) and painted into small rows×cols canvases enlarged with nearest-neighbour
// sampling: no round trip to the extension host. Each hover is timed from the pointer event's timestamp: to the
// canvases updated ('similarity-hover') and to the frame showing them painted ('similarity-painted', with the handler's
// start and the frame's start as detail); the benchmark and the UI test read these performance entries.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { dataUrlPayload } from './explain/base64';
import { colormapGradient, colormapTable, type ColormapName } from './explain/colormaps';
import { el } from './explain/dom';
import { paintMap } from './similarity/overlayPainter';
import { mapRanges, SimilarityModel, type HoverMaps } from './similarity/similarityModel';
import { SIMILARITY_CSS } from './similarity/styles';
import {
  DEFAULT_VIEW_SETTINGS, NORMALISATIONS, SIMILARITY_COLORMAPS, SIMILARITY_STATE_VERSION, validateSimilarityState, validateToSimilarityPanel,
  type FromSimilarityPanel, type ModelRef, type Normalisation, type ProbeCell, type SimilarityColormap, type SimilarityPanelState,
  type ToSimilarityPanel, type ViewSettings,
} from './similarityPanelProtocol';

interface VsCodeApi { postMessage(m: FromSimilarityPanel): void; getState(): unknown; setState(s: SimilarityPanelState): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const sheet = new CSSStyleSheet();
sheet.replaceSync(SIMILARITY_CSS);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
const post = (m: FromSimilarityPanel) => vscode.postMessage(m);

const restored = validateSimilarityState(vscode.getState());
const view: ViewSettings = restored?.view ?? { ...DEFAULT_VIEW_SETTINGS };
let modelRef: ModelRef | null = restored?.model ?? null;
let pendingPaths: string[] = restored?.imagePaths ?? [];
let pendingLayers: string[] = restored?.layers ?? [];
const model = new SimilarityModel();
let lut = colormapTable(view.colormap as ColormapName);
/** The probe under the pointer (or the pinned one); null when nothing is shown. */
let current: ProbeCell | null = null;

const NORMALISATION_LABELS: Record<Normalisation, string> = { raw: 'Raw cosine', minmax: 'Min–max, all images', perImage: 'Min–max, per image' };

// ---- chrome --------------------------------------------------------------------------------------------------------
const title = el('h1', { attrs: { 'data-testid': 'panel-title' } }, 'Similarity');
const addButton = el('vscode-button', { attrs: { 'data-testid': 'add-images', title: 'Add images to compare (or drop them here from the Explorer with Shift held)' } }, 'Add images…');
const exportButton = el('vscode-button', { attrs: { secondary: '', 'data-testid': 'export-png', title: 'Save the current view as a PNG' } }, 'Export PNG…');
addButton.addEventListener('click', () => post({ type: 'addImages' }));
exportButton.addEventListener('click', () => exportPng());

function select<T extends string>(label: string, options: readonly T[], value: T, names: Record<string, string>, testId: string, onChange: (v: T) => void): HTMLElement {
  const id = `q${Math.random().toString(36).slice(2)}`;
  const s = el('vscode-single-select', { attrs: { id, 'data-testid': testId, 'aria-label': label } },
    ...options.map((o) => el('vscode-option', { attrs: { value: o, ...(o === value ? { selected: '' } : {}) } }, names[o] ?? o))) as HTMLElement & { value: string };
  s.addEventListener('change', () => onChange(s.value as T));
  return el('div', { cls: 'control' }, el('label', { attrs: { for: id } }, label), s);
}

const opacityId = 'opacity';
const opacityInput = el('input', { attrs: { type: 'range', id: opacityId, min: '0', max: '1', step: '0.05', 'data-testid': 'opacity' } }) as HTMLInputElement;
const opacityOut = el('output', { attrs: { for: opacityId } });
opacityInput.value = String(view.opacity);
const showOpacity = () => { opacityOut.textContent = `${Math.round(view.opacity * 100)}%`; };
opacityInput.addEventListener('input', () => { view.opacity = Number(opacityInput.value); showOpacity(); applyOpacity(); save(); });

const legendBar = el('div', { cls: 'legend', attrs: { 'data-testid': 'legend', role: 'img' } });
const legendLo = el('span', { attrs: { 'data-testid': 'legend-lo' } });
const legendHi = el('span', { attrs: { 'data-testid': 'legend-hi' } });
const status = el('div', { cls: 'status', attrs: { role: 'status', 'aria-live': 'polite', 'data-testid': 'status' } });
const progress = el('vscode-progress-bar', { attrs: { 'data-testid': 'progress' } }) as HTMLElement;
progress.hidden = true;
const layersBox = el('div', { cls: 'layers', attrs: { 'data-testid': 'layers' } });

const controls = el('div', { cls: 'controls' },
  select('Normalisation', NORMALISATIONS, view.normalisation, NORMALISATION_LABELS, 'normalisation', (v) => { view.normalisation = v; save(); redraw(); }),
  select('Colour map', SIMILARITY_COLORMAPS, view.colormap, {}, 'colormap', (v) => { view.colormap = v as SimilarityColormap; lut = colormapTable(v as ColormapName); save(); redraw(); }),
  el('div', { cls: 'control' }, el('label', { attrs: { for: opacityId } }, 'Opacity'), opacityInput, opacityOut),
  el('div', { cls: 'legend-row' }, legendLo, legendBar, legendHi),
);
document.getElementById('app')!.replaceChildren(el('div', { cls: 'toolbar' }, title, addButton, exportButton), controls, progress, status, layersBox);
showOpacity();

// ---- tiles ---------------------------------------------------------------------------------------------------------
interface Tile { root: HTMLElement; stage: HTMLElement; overlay: HTMLCanvasElement; ctx: CanvasRenderingContext2D; pixels: ImageData; value: HTMLElement; layer: number; image: number; box: DOMRect | null }
let tiles: Tile[][] = []; // [layer][image]

// The stages' boxes, read once and kept until something can move them: reading a box on every pointer move would
// force a layout right after the previous hover's text changes (layout thrash on the hover path).
const forgetBoxes = () => { for (const per of tiles) for (const t of per) t.box = null; };
window.addEventListener('scroll', forgetBoxes, { capture: true, passive: true });
window.addEventListener('resize', forgetBoxes, { passive: true });
new ResizeObserver(forgetBoxes).observe(layersBox);
const boxOf = (t: Tile) => (t.box ??= t.stage.getBoundingClientRect());

function save() {
  if (!modelRef) return;
  vscode.setState({ version: SIMILARITY_STATE_VERSION, model: modelRef, layers: model.layers.length ? model.layers.map((l) => l.name) : pendingLayers,
    imagePaths: model.images.length ? model.images.map((i) => i.path) : pendingPaths, view });
}

function applyOpacity() {
  for (const per of tiles) for (const t of per) t.overlay.style.opacity = String(view.opacity);
}

function photoCanvas(w: number, h: number, rgb: Uint8Array, label: string): HTMLCanvasElement {
  const c = el('canvas', { cls: 'photo', attrs: { width: String(w), height: String(h), role: 'img', 'aria-label': label } }) as HTMLCanvasElement;
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let i = 0, j = 0; i < w * h; i++, j += 3) { rgba[4 * i] = rgb[j]; rgba[4 * i + 1] = rgb[j + 1]; rgba[4 * i + 2] = rgb[j + 2]; rgba[4 * i + 3] = 255; }
  c.getContext('2d')!.putImageData(new ImageData(rgba, w, h), 0, 0);
  return c;
}

function build() {
  const L = model.layers.length;
  layersBox.style.gridTemplateColumns = `repeat(${Math.max(1, L)}, minmax(0, 1fr))`;
  // Bigger tiles for few images; several layers side by side share the width.
  document.body.style.setProperty('--tile', `${Math.max(110, Math.min(260, Math.round(560 / Math.sqrt(Math.max(1, model.images.length)) / Math.max(1, L))))}px`);
  tiles = model.layers.map((l, k) => model.images.map((im, b) => {
    const overlay = el('canvas', { cls: 'overlay', attrs: { width: String(l.cols), height: String(l.rows), 'data-testid': 'overlay' } }) as HTMLCanvasElement;
    overlay.hidden = true;
    overlay.style.opacity = String(view.opacity);
    const ctx = overlay.getContext('2d')!;
    const stage = el('div', { cls: 'stage' }, photoCanvas(im.width, im.height, im.rgb, im.name), overlay);
    const value = el('span', { cls: 'value', attrs: { 'data-testid': 'tile-value' } });
    const remove = el('button', { cls: 'remove', attrs: { title: `Remove ${im.name}`, 'aria-label': `Remove ${im.name}`, 'data-testid': 'remove' } }, '×');
    remove.addEventListener('click', (e) => { e.stopPropagation(); removeImage(im.id); });
    const root = el('figure', {
      cls: 'tile',
      attrs: { tabindex: '0', 'data-testid': 'tile', 'data-layer': String(k), 'data-image': String(b), 'data-name': im.name,
        'aria-label': `${im.name} at ${l.name}: arrow keys move the probe cell, Enter pins it, Escape clears` },
    }, stage, el('figcaption', {}, el('span', { cls: 'name', attrs: { title: im.path } }, im.name), value, remove));
    const tile: Tile = { root, stage, overlay, ctx, pixels: ctx.createImageData(l.cols, l.rows), value, layer: k, image: b, box: null };
    wire(tile);
    return tile;
  }));
  layersBox.replaceChildren(...model.layers.map((l, k) => el('section', { cls: 'layer', attrs: { 'data-testid': 'layer', 'data-layer-name': l.name } },
    el('h2', {}, l.name, el('span', { cls: 'sub' }, `${l.rows}×${l.cols} cells · ${l.channels} channels`)),
    el('div', { cls: 'tiles' }, ...tiles[k].map((t) => t.root)))));
  if (!model.images.length) layersBox.replaceChildren(el('p', { cls: 'empty' }, 'No images. Use "Add images…", or drag images from the Explorer and drop them here with Shift held.'));
  (exportButton as HTMLElement).hidden = !model.images.length;
}

/** The cell under a pointer event, from the stage's box (read per event: the page may have scrolled or reflowed). */
function cellAt(t: Tile, e: PointerEvent | MouseEvent, box: DOMRect): { row: number; col: number } {
  const l = model.layers[t.layer];
  const row = Math.floor((l.rows * (e.clientY - box.top)) / box.height);
  const col = Math.floor((l.cols * (e.clientX - box.left)) / box.width);
  return { row: Math.min(l.rows - 1, Math.max(0, row)), col: Math.min(l.cols - 1, Math.max(0, col)) };
}

function wire(t: Tile) {
  // pointermove, not pointerrawupdate: Chromium delivers the latter sooner (pointermove waits for the next animation
  // frame) but with wrong coordinates inside the webview's nested cross-origin iframes (measured in the workbench).
  t.stage.addEventListener('pointermove', (e) => {
    cancelClear();
    if (view.pinned) return;
    const c = cellAt(t, e, boxOf(t));
    if (current && current.layer === t.layer && current.image === t.image && current.row === c.row && current.col === c.col) return;
    show({ layer: t.layer, image: t.image, ...c }, e.timeStamp);
  });
  t.stage.addEventListener('pointerenter', () => { t.box = null; });
  t.stage.addEventListener('pointerleave', () => { if (!view.pinned) clearSoon(); });
  t.stage.addEventListener('click', (e) => {
    const c = cellAt(t, e, t.stage.getBoundingClientRect());
    const p = view.pinned;
    if (p && p.layer === t.layer && p.image === t.image && p.row === c.row && p.col === c.col) { unpin(); show({ layer: t.layer, image: t.image, ...c }); return; }
    pin({ layer: t.layer, image: t.image, ...c });
  });
  t.root.addEventListener('keydown', (e) => {
    const l = model.layers[t.layer];
    const here = view.pinned && view.pinned.layer === t.layer && view.pinned.image === t.image ? view.pinned : null;
    const start = here ?? { layer: t.layer, image: t.image, row: l.rows >> 1, col: l.cols >> 1 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key in moves) {
      const [dr, dc] = here ? moves[e.key] : [0, 0];
      pin({ ...start, row: Math.min(l.rows - 1, Math.max(0, start.row + dr)), col: Math.min(l.cols - 1, Math.max(0, start.col + dc)) });
    } else if (e.key === 'Enter' || e.key === ' ') {
      if (here) { unpin(); clear(); } else pin(start);
    } else if (e.key === 'Escape') {
      unpin(); clear();
    } else return;
    e.preventDefault();
  });
}

function pin(p: ProbeCell) {
  view.pinned = p;
  save();
  show(p);
}

function unpin() {
  delete view.pinned;
  save();
}

const fmt = (v: number) => (Math.abs(v) >= 0.9995 ? v.toFixed(3) : v.toFixed(3).replace(/^(-?)0\./, '$1.'));

/** What the 'similarity-painted' entry carries besides pointer event → painted: the handler's start (dispatch →
 *  painted) and the start of the frame that rendered it (a frame that began before the handler ran = no frame skipped). */
interface PaintedDetail { handlerStart: number; frame: number }
const afterPaint = new MessageChannel();
afterPaint.port2.onmessage = (e: MessageEvent<PaintedDetail & { since: number }>) =>
  performance.measure('similarity-painted', { start: e.data.since, end: performance.now(), detail: { handlerStart: e.data.handlerStart, frame: e.data.frame } });

/** Computes and paints the overlays of every image at every layer for probe `p`; times it from `since`. */
function show(p: ProbeCell, since?: number) {
  cancelClear();
  if (!model.isInside(p)) { clear(); return; }
  const t0 = performance.now();
  current = p;
  const h = model.compute(p);
  const tc = performance.now();
  paint(h);
  if (since !== undefined) {
    const end = performance.now();
    performance.measure('similarity-hover', { start: since, end });
    performance.measure('similarity-work', { start: t0, end }); // the handler's own share (compute + paint)
    performance.measure('similarity-compute', { start: t0, end: tc });
    // Pointer event → the frame with the new overlays painted: a rAF callback runs in the frame that renders these
    // canvases (or the next, when the browser is late), and a message posted from it arrives once that frame's style,
    // layout and paint are done.
    requestAnimationFrame((frame) => afterPaint.port1.postMessage({ since, handlerStart: t0, frame }));
  }
}

function paint(h: HoverMaps) {
  const { probe } = h;
  let self = NaN;
  model.layers.forEach((l, k) => {
    const ranges = mapRanges(h.maps[k], view.normalisation, l.nonNegative);
    const cell = h.cells[k];
    h.maps[k].forEach((m, b) => {
      const t = tiles[k][b];
      const probeIndex = b === probe.image ? cell.row * l.cols + cell.col : -1;
      paintMap(t.pixels.data, m, ranges[b], lut, probeIndex);
      t.ctx.putImageData(t.pixels, 0, 0);
      t.overlay.hidden = false;
      t.root.classList.toggle('probe', probeIndex >= 0);
      const text = probeIndex >= 0 ? `self ${fmt(m[probeIndex])}` : `max ${fmt(Math.max(...m))}`;
      if (t.value.textContent !== text) t.value.textContent = text; // unchanged text: no relayout
      if (k === probe.layer && probeIndex >= 0) self = m[probeIndex];
    });
    if (k === 0) showLegend(ranges);
  });
  const l = model.layers[probe.layer];
  const im = model.images[probe.image];
  status.classList.remove('error');
  status.dataset.selfSimilarity = String(self);
  status.dataset.probe = `${probe.layer}:${probe.image}:${probe.row},${probe.col}`;
  status.textContent = `${view.pinned ? 'Pinned' : 'Hovered'}: ${im.name}, ${l.name} cell (${probe.row}, ${probe.col}) · similarity to itself ${self.toFixed(4)}` +
    `${model.layers.length > 1 ? ' · other layers at the corresponding cell' : ''}`;
}

// Leaving a tile clears at the next frame, not at once: when the pointer goes straight onto another tile, its
// pointermove (same frame) cancels the clear, so the overlays are not hidden and shown again, and the new tile's box is
// read from a clean layout instead of forcing one right after the clear's text changes (measured: bench, lockstep).
let pendingClear = 0;
function clearSoon() { pendingClear ||= requestAnimationFrame(() => { pendingClear = 0; clear(); }); }
function cancelClear() { if (pendingClear) { cancelAnimationFrame(pendingClear); pendingClear = 0; } }

function clear() {
  cancelClear();
  current = null;
  for (const per of tiles) for (const t of per) { t.overlay.hidden = true; t.root.classList.remove('probe'); t.value.textContent = ''; }
  delete status.dataset.selfSimilarity;
  delete status.dataset.probe;
  status.textContent = model.images.length ? 'Hover a cell to compare it with every cell of every image; click to pin; arrow keys move a pinned probe.' : '';
  showLegend(null);
}

function showLegend(ranges: [number, number][] | null) {
  legendBar.style.background = colormapGradient(view.colormap as ColormapName);
  const nonNeg = model.layers[0]?.nonNegative ?? true;
  if (view.normalisation === 'raw') { legendLo.textContent = nonNeg ? '0' : '−1'; legendHi.textContent = '1 (cosine)'; }
  else if (view.normalisation === 'perImage') { legendLo.textContent = 'min'; legendHi.textContent = 'max of each image'; }
  else if (ranges) { legendLo.textContent = ranges[0][0].toFixed(2); legendHi.textContent = `${ranges[0][1].toFixed(2)} (all images)`; }
  else { legendLo.textContent = 'min'; legendHi.textContent = 'max of all images'; }
  legendBar.setAttribute('aria-label', `Colour scale ${view.colormap}, from ${legendLo.textContent} to ${legendHi.textContent}`);
}

function redraw() {
  if (current) show(current);
  else showLegend(null);
}

function removeImage(id: string) {
  const i = model.remove(id);
  if (i < 0) return;
  post({ type: 'remove', id });
  if (view.pinned && view.pinned.image === i) delete view.pinned;
  else if (view.pinned && view.pinned.image > i) view.pinned.image--;
  current = null;
  build();
  save();
  if (view.pinned && model.isInside(view.pinned)) show(view.pinned); else clear();
}

// ---- export --------------------------------------------------------------------------------------------------------
function exportPng() {
  const size = 224, gap = 12, caption = 18, header = 24;
  const L = model.layers.length, B = model.images.length;
  if (!L || !B) return;
  const perRow = Math.min(B, 4), rowsOfTiles = Math.ceil(B / perRow);
  const layerW = perRow * (size + gap), layerH = header + rowsOfTiles * (size + caption + gap);
  const c = document.createElement('canvas');
  c.width = L * layerW + gap; c.height = layerH + gap + 22;
  const g = c.getContext('2d')!;
  const css = getComputedStyle(document.body);
  g.fillStyle = css.getPropertyValue('--vscode-editor-background').trim() || '#1e1e1e';
  g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = css.getPropertyValue('--vscode-foreground').trim() || '#cccccc';
  g.font = `13px ${css.getPropertyValue('--vscode-font-family') || 'sans-serif'}`;
  g.textBaseline = 'top';
  tiles.forEach((per, k) => {
    const x0 = gap + k * layerW;
    const l = model.layers[k];
    g.fillText(`${l.name} (${l.rows}×${l.cols}×${l.channels})`, x0, gap);
    per.forEach((t, b) => {
      const x = x0 + (b % perRow) * (size + gap), y = gap + header + Math.floor(b / perRow) * (size + caption + gap);
      g.imageSmoothingEnabled = true;
      g.drawImage(t.stage.querySelector('canvas.photo') as HTMLCanvasElement, x, y, size, size);
      if (!t.overlay.hidden) {
        g.globalAlpha = view.opacity;
        g.imageSmoothingEnabled = false; // nearest-neighbour cells, as on screen
        g.drawImage(t.overlay, x, y, size, size);
        g.globalAlpha = 1;
      }
      g.fillText(`${model.images[b].name}  ${t.value.textContent ?? ''}`, x, y + size + 3, size);
    });
  });
  // Footer: the status line, and the colour scale on the right (the legend's end labels around the colour table).
  const lo = legendLo.textContent ?? '', hi = legendHi.textContent ?? '', barW = 160, y = c.height - 20;
  const legendW = g.measureText(lo).width + barW + g.measureText(hi).width + 12;
  g.fillText(status.textContent ?? '', gap, y, Math.max(0, c.width - 3 * gap - legendW));
  let x = c.width - gap - legendW;
  g.fillText(lo, x, y);
  x += g.measureText(lo).width + 6;
  for (let i = 0; i < barW; i++) {
    const k = 3 * Math.round((255 * i) / (barW - 1));
    g.fillStyle = `rgb(${lut[k]},${lut[k + 1]},${lut[k + 2]})`;
    g.fillRect(x + i, y + 1, 1, 10);
  }
  g.fillStyle = css.getPropertyValue('--vscode-foreground').trim() || '#cccccc';
  g.fillText(hi, x + barW + 6, y);
  post({ type: 'exportPng', png: dataUrlPayload(c.toDataURL('image/png')) });
}

// ---- drag and drop from the explorer ---------------------------------------------------------------------------------
const URI_TYPES = ['application/vnd.code.uri-list', 'text/uri-list'];
const carriesUris = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].some((t) => URI_TYPES.includes(t) || t === 'Files');
document.addEventListener('dragover', (e) => { if (carriesUris(e)) { e.preventDefault(); document.body.classList.add('dragging'); } });
document.addEventListener('dragleave', (e) => { if (e.target === document.documentElement || e.relatedTarget === null) document.body.classList.remove('dragging'); });
document.addEventListener('drop', (e) => {
  document.body.classList.remove('dragging');
  if (!e.dataTransfer) return;
  e.preventDefault();
  const text = URI_TYPES.map((t) => e.dataTransfer!.getData(t)).find((s) => s) ?? '';
  const uris = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  if (uris.length) post({ type: 'dropUris', uris });
  else status.textContent = 'Drop image files from the Explorer (hold Shift while dropping).';
});

// ---- messages ------------------------------------------------------------------------------------------------------
function receive(m: ToSimilarityPanel) {
  switch (m.type) {
    case 'load': {
      modelRef = m.model;
      model.load(m.layers, m.images, m.append);
      pendingPaths = model.images.map((i) => i.path);
      pendingLayers = model.layers.map((l) => l.name);
      title.textContent = `Similarity · ${m.model.name} · ${model.layers.map((l) => l.name).join(', ')}`;
      progress.hidden = true;
      current = null;
      build();
      save();
      if (view.pinned && model.isInside(view.pinned)) show(view.pinned);
      else { if (view.pinned) unpin(); clear(); }
      if (m.images.length) status.textContent += ` (activations of ${m.images.length} image${m.images.length > 1 ? 's' : ''} in ${(m.elapsedMs / 1000).toFixed(1)} s on ${m.backend})`;
      break;
    }
    case 'busy':
      progress.hidden = false;
      status.classList.remove('error');
      status.textContent = m.message;
      break;
    case 'failed':
      progress.hidden = true;
      status.classList.add('error');
      status.textContent = m.message;
      break;
    case 'notice':
      status.classList.remove('error');
      status.textContent = m.message;
      break;
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  let m: ToSimilarityPanel;
  try { m = validateToSimilarityPanel(ev.data); } catch (e) { console.warn(`[cnn-lens] ${(e as Error).message}`); return; }
  receive(m);
});

build();
clear();
if (restored) status.textContent = `Recomputing the activations of ${restored.imagePaths.length} image(s)…`;
post({ type: 'ready' });
