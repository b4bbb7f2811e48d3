// The Similarity panel's message protocol, shared by the extension (src/extension/similarity/similarityPanel.ts) and
// the webview (similarityPanel.main.ts). Every message is validated on arrival on both sides (a webview is untrusted
// content; a webview restored after an update may speak an older dialect). Binary data travels as typed arrays:
// VS Code transfers them as buffers, no base64 and no JSON of 12 MB of numbers. The persisted state holds only what
// is needed to recompute (model, image paths, layers, view): the activations are recomputed on restore.

export const SIMILARITY_VIEW_TYPE = 'cnnLens.similarity';
export const SIMILARITY_STATE_VERSION = 1;

export type Normalisation = 'raw' | 'minmax' | 'perImage';
export const NORMALISATIONS: readonly Normalisation[] = ['raw', 'minmax', 'perImage'];
export const SIMILARITY_COLORMAPS = ['grey', 'inferno', 'viridis', 'turbo'] as const;
export type SimilarityColormap = (typeof SIMILARITY_COLORMAPS)[number];

export interface LayerMeta { name: string; rows: number; cols: number; channels: number; nonNegative: boolean }

/** One image with its normalised cell vectors for every layer of the session (same order as `layers`). */
export interface PanelImage {
  id: string;
  name: string;
  path: string;
  width: number;
  height: number;
  /** The picture as the model saw it: RGB bytes, width·height·3. */
  rgb: Uint8Array;
  /** Per layer, rows·cols·channels float32 values, [row][col][channel], each cell's vector of norm ≤ 1. */
  vectors: Float32Array[];
}

export interface ModelRef {
  name: string;
  /** The engine's ModelSpec (path, labels, preprocessing, outputLayer), kept to recompute after a reload. */
  spec: { path: string; labels?: string; preprocessing?: Record<string, unknown>; outputLayer?: string };
}

export interface ProbeCell { layer: number; image: number; row: number; col: number }

export interface ViewSettings {
  normalisation: Normalisation;
  colormap: SimilarityColormap;
  opacity: number;
  /** A pinned probe (click), kept across hovers and reloads; image by index. */
  pinned?: ProbeCell;
}

export const DEFAULT_VIEW_SETTINGS: ViewSettings = { normalisation: 'raw', colormap: 'grey', opacity: 0.7 };

/** Extension → webview. */
export type ToSimilarityPanel =
  /** A fresh session (replaces everything shown) or more images for the current one (`append`). */
  | { type: 'load'; model: ModelRef; layers: LayerMeta[]; images: PanelImage[]; append: boolean; elapsedMs: number; backend: string }
  | { type: 'busy'; message: string; step: number; total: number }
  | { type: 'failed'; message: string }
  | { type: 'notice'; message: string };

/** Webview → extension. */
export type FromSimilarityPanel =
  | { type: 'ready' }
  | { type: 'addImages' }
  /** Files dropped from the explorer (file: URIs). */
  | { type: 'dropUris'; uris: string[] }
  | { type: 'remove'; id: string }
  | { type: 'exportPng'; png: string }
  | { type: 'cancel' };

export interface SimilarityPanelState {
  version: number;
  model: ModelRef;
  layers: string[];
  imagePaths: string[];
  view: ViewSettings;
}

// ---- validation ---------------------------------------------------------------------------------------------------

export class SimilarityProtocolError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (what: string): never => { throw new SimilarityProtocolError(`invalid similarity panel message: ${what}`); };
const str = (o: Obj, k: string, max = 1 << 16) => { const v = o[k]; if (typeof v !== 'string' || v.length > max) fail(`${k} must be a string`); return v as string; };
const int = (o: Obj, k: string, min = 0, max = 1 << 30) => { const v = o[k]; if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${k} must be an integer in ${min}–${max}`); return v as number; };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ID = /^[\w-]{1,64}$/;

function validateLayers(v: unknown): LayerMeta[] {
  if (!Array.isArray(v) || v.length < 1 || v.length > 8) return fail('layers must be 1–8 layers');
  for (const l of v) {
    if (!isObj(l)) fail('layer');
    str(l as Obj, 'name', 500); int(l as Obj, 'rows', 1, 4096); int(l as Obj, 'cols', 1, 4096); int(l as Obj, 'channels', 1, 1 << 16);
    if (typeof (l as Obj).nonNegative !== 'boolean') fail('nonNegative');
  }
  return v as LayerMeta[];
}

function validateModel(v: unknown): ModelRef {
  if (!isObj(v)) return fail('model');
  str(v, 'name', 1000);
  if (!isObj(v.spec)) return fail('model spec');
  str(v.spec, 'path', 4096);
  if (v.spec.labels !== undefined) str(v.spec, 'labels', 4096);
  if (v.spec.outputLayer !== undefined) str(v.spec, 'outputLayer', 500);
  if (v.spec.preprocessing !== undefined && !isObj(v.spec.preprocessing)) fail('preprocessing');
  return v as unknown as ModelRef;
}

function validateImage(v: unknown, layers: LayerMeta[]): PanelImage {
  if (!isObj(v)) return fail('image');
  if (!ID.test(str(v, 'id', 64))) fail('image id');
  str(v, 'name', 1000); str(v, 'path', 4096);
  const w = int(v, 'width', 1, 8192), h = int(v, 'height', 1, 8192);
  if (!(v.rgb instanceof Uint8Array) || v.rgb.length !== w * h * 3) fail(`image rgb is not ${w}×${h}×3 bytes`);
  if (!Array.isArray(v.vectors) || v.vectors.length !== layers.length) fail('one vector array per layer');
  (v.vectors as unknown[]).forEach((a, k) => {
    const l = layers[k];
    if (!(a instanceof Float32Array) || a.length !== l.rows * l.cols * l.channels) fail(`vectors of ${l.name} are not ${l.rows}×${l.cols}×${l.channels} float32`);
  });
  return v as unknown as PanelImage;
}

export function validateToSimilarityPanel(m: unknown): ToSimilarityPanel {
  if (!isObj(m) || typeof m.type !== 'string') return fail('no type');
  switch (m.type) {
    case 'load': {
      validateModel(m.model);
      const layers = validateLayers(m.layers);
      if (!Array.isArray(m.images) || m.images.length > 256) fail('images');
      for (const im of m.images as unknown[]) validateImage(im, layers);
      if (typeof m.append !== 'boolean') fail('append');
      if (typeof m.elapsedMs !== 'number') fail('elapsedMs');
      str(m, 'backend', 100);
      return m as unknown as ToSimilarityPanel;
    }
    case 'busy': str(m, 'message', 2000); int(m, 'step'); int(m, 'total'); return m as unknown as ToSimilarityPanel;
    case 'failed': case 'notice': str(m, 'message', 4000); return m as unknown as ToSimilarityPanel;
  }
  return fail(`unknown type ${String(m.type).slice(0, 40)}`);
}

export function validateFromSimilarityPanel(m: unknown): FromSimilarityPanel {
  if (!isObj(m) || typeof m.type !== 'string') return fail('no type');
  switch (m.type) {
    case 'ready': case 'addImages': case 'cancel': return { type: m.type };
    case 'remove': { const id = str(m, 'id', 64); if (!ID.test(id)) fail('id'); return { type: 'remove', id }; }
    case 'dropUris': {
      if (!Array.isArray(m.uris) || m.uris.length > 256 || m.uris.some((u) => typeof u !== 'string' || u.length > 4096)) return fail('uris');
      return { type: 'dropUris', uris: m.uris as string[] };
    }
    case 'exportPng': {
      const png = str(m, 'png', 64 << 20);
      if (!BASE64.test(png) || !png.startsWith('iVBORw0KGgo')) fail('png must be base64 PNG data');
      return { type: 'exportPng', png };
    }
  }
  return fail(`unknown type ${String(m.type).slice(0, 40)}`);
}

export function validateView(v: unknown): ViewSettings {
  if (!isObj(v)) return { ...DEFAULT_VIEW_SETTINGS };
  const normalisation = NORMALISATIONS.includes(v.normalisation as Normalisation) ? (v.normalisation as Normalisation) : DEFAULT_VIEW_SETTINGS.normalisation;
  const colormap = (SIMILARITY_COLORMAPS as readonly string[]).includes(v.colormap as string) ? (v.colormap as SimilarityColormap) : DEFAULT_VIEW_SETTINGS.colormap;
  const opacity = typeof v.opacity === 'number' && v.opacity >= 0 && v.opacity <= 1 ? v.opacity : DEFAULT_VIEW_SETTINGS.opacity;
  const p = v.pinned;
  const pinned = isObj(p) && ['layer', 'image', 'row', 'col'].every((k) => Number.isInteger(p[k]) && (p[k] as number) >= 0) ? (p as unknown as ProbeCell) : undefined;
  return { normalisation, colormap, opacity, ...(pinned ? { pinned } : {}) };
}

/** A persisted state, or null when missing, from another version or malformed. */
export function validateSimilarityState(s: unknown): SimilarityPanelState | null {
  try {
    if (!isObj(s) || s.version !== SIMILARITY_STATE_VERSION) return null;
    const model = validateModel(s.model);
    if (!Array.isArray(s.layers) || !s.layers.length || s.layers.some((l) => typeof l !== 'string')) return null;
    if (!Array.isArray(s.imagePaths) || s.imagePaths.some((p) => typeof p !== 'string')) return null;
    return { version: SIMILARITY_STATE_VERSION, model, layers: s.layers as string[], imagePaths: s.imagePaths as string[], view: validateView(s.view) };
  } catch {
    return null;
  }
}
