// Reader for COCO instance annotations (instances_*.json) as far as the pointing game needs them (METHODS.md §4.2):
// images with their sizes, and per annotation its category and segment (polygons, or RLE for crowds), rasterised
// into a boolean mask like pycocotools' annToMask.
import { promises as fs } from 'node:fs';
import { EngineError } from '../errors';

/** Polygons [[x0, y0, x1, y1, …], …] in pixel coordinates (0,0 = top-left corner of the top-left pixel), or RLE. */
export type CocoSegmentation = number[][] | CocoRle;
/** Run-length encoding in column-major order; `counts` as numbers (uncompressed) or COCO's compressed string. */
export interface CocoRle { size: [number, number]; counts: number[] | string }

export interface CocoObject {
  id: number;
  categoryId: number;
  /** Category name (the key of class maps). */
  name: string;
  iscrowd: boolean;
  bbox?: [number, number, number, number];
  segmentation?: CocoSegmentation;
}

export interface CocoImage { id: number; fileName: string; width: number; height: number; objects: CocoObject[] }

export interface CocoDataset {
  images: CocoImage[];
  /** Category names ordered by category id (TorchRay's COCO_CLASSES order for the 80 standard ones, §4.2). */
  categories: string[];
  source: string;
}

const bad = (source: string, what: string) => new EngineError('INPUT_INVALID', `${source}: ${what}`);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

function checkSegmentation(seg: unknown, where: string, source: string): CocoSegmentation | undefined {
  if (seg === undefined || seg === null) return undefined;
  if (Array.isArray(seg)) {
    for (const poly of seg)
      if (!Array.isArray(poly) || poly.length < 6 || poly.length % 2 !== 0 || !poly.every(Number.isFinite))
        throw bad(source, `${where}: a polygon must be an even-length list of at least 6 numbers`);
    return seg as number[][];
  }
  if (isObj(seg)) {
    const size = seg.size, counts = seg.counts;
    if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 0))
      throw bad(source, `${where}: RLE "size" must be [height, width]`);
    if (!(typeof counts === 'string' || (Array.isArray(counts) && counts.every((c) => Number.isInteger(c) && c >= 0))))
      throw bad(source, `${where}: RLE "counts" must be a string or a list of non-negative integers`);
    return { size: [size[0], size[1]], counts: counts as number[] | string };
  }
  throw bad(source, `${where}: "segmentation" must be a list of polygons or an RLE object`);
}

/** Parses the text of a COCO instances file; every image and annotation is checked before use. */
export function parseCocoAnnotations(text: string, source = 'COCO annotations'): CocoDataset {
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { throw bad(source, `not valid JSON (${(e as Error).message})`); }
  if (!isObj(json)) throw bad(source, 'the top level must be an object with "images", "annotations" and "categories"');
  for (const k of ['images', 'annotations', 'categories'])
    if (!Array.isArray(json[k])) throw bad(source, `"${k}" is missing or not a list`);

  const names = new Map<number, string>();
  for (const [i, c] of (json.categories as unknown[]).entries()) {
    if (!isObj(c) || !Number.isInteger(c.id) || typeof c.name !== 'string' || !c.name)
      throw bad(source, `categories[${i}] needs an integer "id" and a "name"`);
    if (names.has(c.id as number)) throw bad(source, `category id ${c.id} appears twice`);
    names.set(c.id as number, c.name);
  }
  const images = new Map<number, CocoImage>();
  for (const [i, im] of (json.images as unknown[]).entries()) {
    if (!isObj(im) || !Number.isInteger(im.id) || typeof im.file_name !== 'string' || !isPosInt(im.width) || !isPosInt(im.height))
      throw bad(source, `images[${i}] needs an integer "id", a "file_name" and positive integer "width" and "height"`);
    if (images.has(im.id as number)) throw bad(source, `image id ${im.id} appears twice`);
    images.set(im.id as number, { id: im.id as number, fileName: im.file_name, width: im.width, height: im.height, objects: [] });
  }
  for (const [i, a] of (json.annotations as unknown[]).entries()) {
    const where = `annotations[${i}]`;
    if (!isObj(a) || !Number.isInteger(a.image_id) || !Number.isInteger(a.category_id))
      throw bad(source, `${where} needs integer "image_id" and "category_id"`);
    const image = images.get(a.image_id as number);
    if (!image) throw bad(source, `${where} refers to image ${a.image_id}, which is not in "images"`);
    const name = names.get(a.category_id as number);
    if (name === undefined) throw bad(source, `${where} refers to category ${a.category_id}, which is not in "categories"`);
    const segmentation = checkSegmentation(a.segmentation, where, source);
    const bbox = Array.isArray(a.bbox) && a.bbox.length === 4 && a.bbox.every(Number.isFinite) ? a.bbox as [number, number, number, number] : undefined;
    if (!segmentation && !bbox) throw bad(source, `${where} has neither a segmentation nor a bbox`);
    if (segmentation && !Array.isArray(segmentation) && (segmentation.size[0] !== image.height || segmentation.size[1] !== image.width))
      throw bad(source, `${where}: RLE size ${segmentation.size.join('×')} differs from image ${image.id} (${image.height}×${image.width})`);
    image.objects.push({ id: Number(a.id ?? i), categoryId: a.category_id as number, name, iscrowd: a.iscrowd === 1 || a.iscrowd === true, bbox, segmentation });
  }
  const categories = [...names.entries()].sort((p, q) => p[0] - q[0]).map(([, n]) => n);
  return { images: [...images.values()], categories, source };
}

export async function readCocoAnnotations(file: string): Promise<CocoDataset> {
  let text: string;
  try { text = await fs.readFile(file, 'utf8'); } catch (e) {
    throw new EngineError('INPUT_INVALID', `Cannot read COCO annotations "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseCocoAnnotations(text, file);
}

/** Decodes COCO's compressed RLE string (pycocotools `rleFrString`: 5-bit groups, continuation bit, delta-coded). */
export function decodeRleString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      if (p >= s.length) throw new EngineError('INPUT_INVALID', 'truncated compressed RLE string');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new EngineError('INPUT_INVALID', `invalid character "${s[p]}" in a compressed RLE string`);
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++; k++;
      if (!more && (c & 0x10)) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

/** RLE → row-major mask (1 = inside). Runs alternate 0s and 1s, starting with 0s, in column-major order. */
export function decodeRle(rle: CocoRle): Uint8Array {
  const [h, w] = rle.size;
  const counts = typeof rle.counts === 'string' ? decodeRleString(rle.counts) : rle.counts;
  const total = counts.reduce((a, c) => a + c, 0);
  if (total !== h * w) throw new EngineError('INPUT_INVALID', `RLE counts cover ${total} pixels, the mask has ${h}×${w} = ${h * w}`);
  const mask = new Uint8Array(h * w);
  let pos = 0;
  for (let r = 0; r < counts.length; r++) {
    if (r % 2 === 1) for (let j = pos; j < pos + counts[r]; j++) mask[(j % h) * w + Math.floor(j / h)] = 1;
    pos += counts[r];
  }
  return mask;
}

/**
 * Fills polygons into `mask` (row-major h×w): a pixel is inside when its centre (x + 0.5, y + 0.5) is inside a
 * polygon by the even-odd rule. pycocotools rasterises differently at the boundary (by up to a pixel); that is
 * far below the pointing game's 15 px tolerance.
 */
export function fillPolygons(mask: Uint8Array, w: number, h: number, polygons: readonly number[][]): void {
  for (const poly of polygons) {
    const n = poly.length / 2;
    for (let y = 0; y < h; y++) {
      const cy = y + 0.5;
      const xs: number[] = [];
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const [xi, yi, xj, yj] = [poly[2 * i], poly[2 * i + 1], poly[2 * j], poly[2 * j + 1]];
        if ((yi > cy) !== (yj > cy)) xs.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        // pixel x is inside when xs[k] ≤ x + 0.5 < xs[k+1]
        const from = Math.max(0, Math.ceil(xs[k] - 0.5)), to = Math.min(w - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
        for (let x = from; x <= to; x++) mask[y * w + x] = 1;
      }
    }
  }
}

/** The object's region as a row-major h×w mask: its segment if it has one, else its bbox (annToMask, §4.2). */
export function objectMask(obj: CocoObject, w: number, h: number): Uint8Array {
  const seg = obj.segmentation;
  if (seg && !Array.isArray(seg)) return decodeRle(seg);
  const mask = new Uint8Array(w * h);
  if (seg) fillPolygons(mask, w, h, seg);
  else {
    const [x, y, bw, bh] = obj.bbox!;
    fillPolygons(mask, w, h, [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]]);
  }
  return mask;
}
