// Reader for PASCAL VOC annotation XML (one <annotation> per image), as used by the pointing game (METHODS.md §4.2).
// VOC files are small and regular, so a strict little XML parser is enough (no dependency): elements, text,
// comments, CDATA, the XML declaration and the five predefined entities plus numeric references. Attributes are
// read and ignored. Only direct children of <object> are used, so the nested <part> boxes of VOC person layout
// never count as objects.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors';

/** The 20 VOC classes in the standard order (also the column order of the difficult-pair files, §4.3). */
export const VOC_CLASSES: readonly string[] = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** A box in 0-based inclusive pixel indices (VOC's 1-based XML values minus 1, §4.2). */
export interface PixelBox { xmin: number; ymin: number; xmax: number; ymax: number }

export interface VocObject {
  name: string;
  difficult: boolean;
  truncated: boolean;
  box: PixelBox;
}

export interface VocAnnotation {
  /** Image file name as written in <filename>. */
  filename: string;
  width: number;
  height: number;
  objects: VocObject[];
  /** Where it was read from, for messages. */
  source: string;
}

interface XmlElement { name: string; children: XmlElement[]; text: string; line: number }

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function malformed(source: string, line: number, what: string): EngineError {
  return new EngineError('INPUT_INVALID', `${source}: line ${line}: ${what}`);
}

function decodeEntities(s: string, source: string, line: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (m, ref: string | undefined) => {
    if (!ref) throw malformed(source, line, "a bare '&' (write &amp;)");
    if (ref[0] === '#') return String.fromCodePoint(ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10));
    const v = ENTITIES[ref];
    if (v === undefined) throw malformed(source, line, `unknown entity &${ref};`);
    return v;
  });
}

/** Parses an XML document into its root element; throws INPUT_INVALID with a line number on malformed input. */
export function parseXml(text: string, source = 'XML'): XmlElement {
  let i = 0;
  let line = 1;
  const advanceTo = (j: number) => { for (let k = i; k < j; k++) if (text.charCodeAt(k) === 10) line++; i = j; };
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (chunk.trim()) {
      if (!stack.length) throw malformed(source, line, `text outside the root element: "${chunk.trim().slice(0, 30)}"`);
      stack[stack.length - 1].text += decodeEntities(chunk, source, line);
    }
    if (lt < 0) { advanceTo(text.length); break; }
    advanceTo(lt);
    const closeOf = (end: string, what: string) => {
      const j = text.indexOf(end, i);
      if (j < 0) throw malformed(source, line, `unterminated ${what}`);
      return j + end.length;
    };
    if (text.startsWith('<!--', i)) { advanceTo(closeOf('-->', 'comment')); continue; }
    if (text.startsWith('<?', i)) { advanceTo(closeOf('?>', 'processing instruction')); continue; }
    if (text.startsWith('<![CDATA[', i)) {
      const end = closeOf(']]>', 'CDATA section');
      if (!stack.length) throw malformed(source, line, 'CDATA outside the root element');
      stack[stack.length - 1].text += text.slice(i + 9, end - 3);
      advanceTo(end);
      continue;
    }
    if (text.startsWith('<!', i)) { advanceTo(closeOf('>', 'declaration')); continue; }
    const gt = text.indexOf('>', i);
    if (gt < 0) throw malformed(source, line, 'unterminated tag');
    const tag = text.slice(i + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open) throw malformed(source, line, `closing tag </${name}> without an opening tag`);
      if (open.name !== name) throw malformed(source, line, `</${name}> closes <${open.name}> (opened on line ${open.line})`);
    } else {
      const selfClosing = tag.endsWith('/');
      const m = /^([A-Za-z_][\w.:-]*)(\s[^]*)?$/.exec(selfClosing ? tag.slice(0, -1) : tag);
      if (!m) throw malformed(source, line, `invalid tag <${tag.slice(0, 30)}>`);
      const el: XmlElement = { name: m[1], children: [], text: '', line };
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) throw malformed(source, line, `a second root element <${el.name}>`);
      else root = el;
      if (!selfClosing) stack.push(el);
    }
    advanceTo(gt + 1);
  }
  if (stack.length) throw malformed(source, line, `<${stack[stack.length - 1].name}> (line ${stack[stack.length - 1].line}) is never closed`);
  if (!root) throw malformed(source, line, 'no root element');
  return root;
}

const child = (el: XmlElement, name: string) => el.children.find((c) => c.name === name);

function requiredText(el: XmlElement, name: string, source: string): string {
  const c = child(el, name);
  const t = c?.text.trim();
  if (!c || !t) throw malformed(source, el.line, `<${el.name}> has no <${name}>`);
  return t;
}

function number(el: XmlElement, name: string, source: string): number {
  const t = requiredText(el, name, source);
  const v = Number(t);
  if (!Number.isFinite(v)) throw malformed(source, child(el, name)!.line, `<${name}> is not a number: "${t}"`);
  return v;
}

/** 0/1 flag; absent means 0 (VOC files written by other tools often omit <truncated> or <difficult>). */
function flag(el: XmlElement, name: string, source: string): boolean {
  const c = child(el, name);
  if (!c) return false;
  const t = c.text.trim();
  if (t !== '0' && t !== '1') throw malformed(source, c.line, `<${name}> must be 0 or 1, got "${t}"`);
  return t === '1';
}

/** Parses one VOC annotation document. Coordinates: 1-based inclusive in the XML → 0-based here; fractional values
 *  (written by some tools) are truncated like Python's int(float(v)). Boxes are clipped to the image. */
export function parseVocAnnotation(xml: string, source = 'VOC annotation'): VocAnnotation {
  const root = parseXml(xml, source);
  if (root.name !== 'annotation') throw malformed(source, root.line, `the root element is <${root.name}>, expected <annotation>`);
  const filename = requiredText(root, 'filename', source);
  const size = child(root, 'size');
  if (!size) throw malformed(source, root.line, '<annotation> has no <size> (the image width and height are needed)');
  const width = number(size, 'width', source), height = number(size, 'height', source);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw malformed(source, size.line, `image size must be positive integers, got ${width}×${height}`);
  const objects: VocObject[] = root.children.filter((c) => c.name === 'object').map((o) => {
    const name = requiredText(o, 'name', source);
    const b = child(o, 'bndbox');
    if (!b) throw malformed(source, o.line, `<object> "${name}" has no <bndbox>`);
    const [x0, y0, x1, y1] = ['xmin', 'ymin', 'xmax', 'ymax'].map((k) => Math.trunc(number(b, k, source)) - 1);
    if (x1 < x0 || y1 < y0) throw malformed(source, b.line, `box of "${name}" is empty: x ${x0 + 1}…${x1 + 1}, y ${y0 + 1}…${y1 + 1}`);
    const box = { xmin: Math.max(0, x0), ymin: Math.max(0, y0), xmax: Math.min(width - 1, x1), ymax: Math.min(height - 1, y1) };
    if (box.xmax < box.xmin || box.ymax < box.ymin) throw malformed(source, b.line, `box of "${name}" lies outside the ${width}×${height} image`);
    return { name, difficult: flag(o, 'difficult', source), truncated: flag(o, 'truncated', source), box };
  });
  return { filename, width, height, objects, source };
}

/**
 * Reads VOC annotations from a single .xml file, a folder of .xml files, or a VOC root holding `Annotations/`.
 * Files are read in name order. `ids`, when given, keeps only those image ids (file names without `.xml`), in that
 * order, e.g. the lines of `ImageSets/Main/test.txt`.
 */
export async function readVocAnnotations(location: string, ids?: readonly string[]): Promise<VocAnnotation[]> {
  let stat;
  try { stat = await fs.stat(location); } catch {
    throw new EngineError('INPUT_INVALID', `VOC annotations not found: "${location}".`);
  }
  let dir = location;
  let files: string[];
  if (stat.isFile()) {
    files = [path.basename(location)];
    dir = path.dirname(location);
  } else {
    const sub = path.join(location, 'Annotations');
    if (await fs.stat(sub).then((s) => s.isDirectory(), () => false)) dir = sub;
    files = (await fs.readdir(dir)).filter((f) => f.toLowerCase().endsWith('.xml')).sort();
    if (ids) {
      const have = new Set(files);
      const missing = ids.filter((id) => !have.has(`${id}.xml`));
      if (missing.length) throw new EngineError('INPUT_INVALID', `${missing.length} listed image ids have no annotation in "${dir}" (first: ${missing[0]}.xml).`);
      files = ids.map((id) => `${id}.xml`);
    }
    if (!files.length) throw new EngineError('INPUT_INVALID', `No .xml annotation files in "${dir}".`);
  }
  const out: VocAnnotation[] = [];
  for (const f of files) {
    const p = path.join(dir, f);
    out.push(parseVocAnnotation(await fs.readFile(p, 'utf8'), p));
  }
  return out;
}
