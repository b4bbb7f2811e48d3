// The Broden writer's files parse back per METHODS.md §5.1 (headers, label numbers decoded from R + 256·G,
// category first/last/count, frequencies recomputed from the PNGs), and the VOC XML (§4.2) is well-formed with
// boxes matching the masks. Everything is written to a temporary folder and read back from disk.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { EngineError } from '../../src/engine/errors';
import { buildBroden, writeBroden } from '../../src/engine/datasets/brodenWriter';
import { decodeLabelPixels, encodeLabelPixels } from '../../src/engine/datasets/pngFiles';
import { generateWorld, type WorldSample } from '../../src/engine/datasets/syntheticWorld';
import { vocAnnotationXml, writeVoc } from '../../src/engine/datasets/vocWriter';

const SAMPLES = generateWorld(21, 48);
let dir = '';

/** Plain CSV (the writer never needs quoting for this vocabulary): header + rows as objects. */
function readCsv(file: string): { header: string[]; rows: Array<Record<string, string>> } {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), `${file} ends with a newline`);
  const lines = text.trimEnd().split('\n');
  assert.ok(!text.includes('"'), `${file} needs no quoting`);
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => {
    const cells = l.split(',');
    assert.equal(cells.length, header.length, `${file}: row "${l}" has ${cells.length} cells, header ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  });
  return { header, rows };
}

async function readPng(file: string): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

const sampleOf = (image: string): WorldSample => {
  const s = SAMPLES.find((x) => image.endsWith(`/${x.name}.png`));
  assert.ok(s, `no sample for ${image}`);
  return s;
};

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cnnlens-broden-'));
  await writeBroden(path.join(dir, 'broden'), SAMPLES);
  await writeVoc(path.join(dir, 'voc'), SAMPLES);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('label.csv, category.csv and c_<category>.csv are consistent with each other (§5.1)', () => {
  const b = path.join(dir, 'broden');
  const labels = readCsv(path.join(b, 'label.csv'));
  assert.deepEqual(labels.header, ['number', 'name', 'category', 'frequency', 'coverage', 'syns']);
  const numbers = labels.rows.map((r) => Number(r.number));
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'unified numbers are 1…N (0 = unlabeled is not a row)');
  assert.equal(new Set(labels.rows.map((r) => r.name)).size, labels.rows.length, 'label names are unique');
  const categoryOf = new Map<number, string>();
  for (const r of labels.rows) {
    const m = /^([^(]*)\((\d+)\)$/.exec(r.category); // the pattern ND's decode_label_dict applies
    assert.ok(m, `category field "${r.category}"`);
    assert.equal(Number(m[2]), Number(r.frequency), `${r.name}: per-category count equals frequency (one category each)`);
    assert.match(r.coverage, /^\d+\.\d*$/, 'coverage is a plain decimal');
    categoryOf.set(Number(r.number), m[1]);
  }

  const cats = readCsv(path.join(b, 'category.csv'));
  assert.deepEqual(cats.header, ['name', 'first', 'last', 'count', 'frequency']);
  assert.deepEqual(cats.rows.map((r) => r.name).sort(), ['color', 'object', 'scene', 'shape', 'texture']);
  for (const c of cats.rows) {
    const mine = numbers.filter((n) => categoryOf.get(n) === c.name);
    assert.equal(Number(c.first), Math.min(...mine), `${c.name} first`);
    assert.equal(Number(c.last), Math.max(...mine), `${c.name} last`);
    assert.equal(Number(c.count), mine.length, `${c.name} count`);
    assert.equal(Number(c.frequency), SAMPLES.length, `${c.name}: every image has a label of every category`);

    const coded = readCsv(path.join(b, `c_${c.name}.csv`));
    assert.deepEqual(coded.header, ['code', 'number', 'name', 'frequency', 'coverage']);
    assert.deepEqual(coded.rows.map((r) => Number(r.code)), mine.map((_, i) => i + 1), 'dense codes 1…count');
    for (const r of coded.rows) {
      const l = labels.rows[Number(r.number) - 1];
      assert.equal(r.name, l.name);
      assert.equal(r.frequency, l.frequency);
      assert.equal(r.coverage, l.coverage);
    }
  }
  const count = (name: string) => Number(cats.rows.find((r) => r.name === name)!.count);
  assert.equal(count('shape'), 6);
  assert.equal(count('texture'), 4);
  assert.equal(count('color'), 7);
  assert.equal(count('object'), 2);
  assert.equal(count('scene'), 5);
});

test('index.csv rows decode to the right label numbers: R + 256·G per pixel, integers as image-level labels', async () => {
  const b = path.join(dir, 'broden');
  const index = readCsv(path.join(b, 'index.csv'));
  const labels = readCsv(path.join(b, 'label.csv')).rows;
  const cats = readCsv(path.join(b, 'category.csv')).rows.map((r) => r.name);
  assert.deepEqual(index.header.slice(0, 6), ['image', 'split', 'ih', 'iw', 'sh', 'sw']);
  assert.deepEqual([...index.header.slice(6)].sort(), [...cats].sort(), 'category columns are the categories');
  assert.equal(index.rows.length, SAMPLES.length);
  const numberOf = (name: string) => Number(labels.find((l) => l.name === name)!.number);

  const frequency = new Map<number, number>();
  const coverage = new Map<number, number>();
  const splits = new Set<string>();
  for (const row of index.rows) {
    const s = sampleOf(row.image);
    splits.add(row.split);
    assert.ok(row.split === 'train' || row.split === 'val');
    assert.deepEqual([row.ih, row.iw, row.sh, row.sw].map(Number), [64, 64, 32, 32]);
    const img = await readPng(path.join(b, 'images', row.image));
    assert.deepEqual([img.width, img.height, img.channels], [64, 64, 3]);
    assert.deepEqual(img.data, s.image, 'the image PNG is lossless');

    // Expected unified numbers, looked up by name in label.csv, sampled at each 2×2 cell's centre pixel (2y+1, 2x+1).
    const expected = (cat: string, i: number): number => {
      if (cat === 'object') return numberOf(s.masks.object[i] ? 'object' : 'background');
      if (!s.masks.object[i]) return 0;
      return numberOf(cat === 'color' ? s.color : cat === 'texture' ? s.texture : s.shape);
    };
    for (const cat of ['object', 'color', 'texture', 'shape']) {
      const file = row[cat];
      assert.match(file, /\.png$/, `${cat} is pixel-level`);
      const seg = await readPng(path.join(b, 'images', file));
      assert.deepEqual([seg.width, seg.height], [32, 32]);
      for (let i = 0; i < 32 * 32; i++) assert.equal(seg.data[i * seg.channels + 2], 0, 'blue is unused');
      const decoded = decodeLabelPixels(seg.data, seg.channels);
      const present = new Map<number, number>();
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const n = decoded[y * 32 + x];
          assert.equal(n, expected(cat, (2 * y + 1) * 64 + 2 * x + 1), `${s.name} ${cat} at (${x}, ${y})`);
          if (n) present.set(n, (present.get(n) ?? 0) + 1);
        }
      }
      for (const [n, c] of present) {
        frequency.set(n, (frequency.get(n) ?? 0) + 1);
        coverage.set(n, (coverage.get(n) ?? 0) + c / 1024);
      }
    }
    assert.match(row.scene, /^\d+$/, 'scene is image-level');
    assert.equal(Number(row.scene), numberOf(`${s.background} background`));
    frequency.set(Number(row.scene), (frequency.get(Number(row.scene)) ?? 0) + 1);
    coverage.set(Number(row.scene), (coverage.get(Number(row.scene)) ?? 0) + 1);
  }
  assert.deepEqual([...splits].sort(), ['train', 'val'], 'both splits are used');
  for (const l of labels) {
    const n = Number(l.number);
    assert.equal(Number(l.frequency), frequency.get(n) ?? 0, `${l.name} frequency recomputed from the files`);
    assert.ok(Math.abs(Number(l.coverage) - (coverage.get(n) ?? 0)) < 1e-5, `${l.name} coverage`);
  }
});

test('label PNG encoding handles numbers above 255 and refuses what does not fit', () => {
  const px = encodeLabelPixels([0, 7, 300, 1197, 65535]);
  assert.deepEqual([...px.slice(6, 9)], [300 % 256, 1, 0]);
  assert.deepEqual([...decodeLabelPixels(px, 3)], [0, 7, 300, 1197, 65535]);
  assert.throws(() => encodeLabelPixels([65536]), RangeError);
  assert.throws(() => encodeLabelPixels([2.5]), RangeError);
});

test('bad input is refused with BAD_ARGUMENT', () => {
  const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT');
  bad(() => buildBroden([]));
  bad(() => buildBroden([SAMPLES[0], SAMPLES[0]]));
  bad(() => buildBroden(SAMPLES.slice(0, 2), { segmentationScale: 3 }));
  bad(() => buildBroden(SAMPLES.slice(0, 2), { source: '../x' }));
});

/** Minimal well-formedness check: balanced, properly nested tags, no stray markup characters in text. */
function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)\s*(\/?)>|([<>])/g;
  for (const m of xml.matchAll(re)) {
    assert.ok(!m[4], `stray "${m[4]}" at ${m.index}`);
    if (m[3]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2], `closing </${m[2]}> does not match`);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, [], 'all tags closed');
  assert.ok(!/&(?!(lt|gt|amp|apos|quot);)/.test(xml), 'no unescaped &');
}

const tag = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

test('VOC: one well-formed XML per image, 1-based inclusive boxes equal to the mask bounds, same split as Broden', async () => {
  const v = path.join(dir, 'voc');
  const broden = readCsv(path.join(dir, 'broden', 'index.csv')).rows;
  const lists = Object.fromEntries(['train', 'val', 'trainval'].map((s) =>
    [s, readFileSync(path.join(v, 'ImageSets', 'Main', `${s}.txt`), 'utf8').trim().split('\n')]));
  assert.equal(lists.trainval.length, SAMPLES.length);
  for (const s of SAMPLES) {
    const xml = readFileSync(path.join(v, 'Annotations', `${s.name}.xml`), 'utf8');
    assertWellFormedXml(xml);
    assert.equal(xml, vocAnnotationXml(s));
    assert.deepEqual(tag(xml, 'filename'), [`${s.name}.png`]);
    assert.deepEqual([...tag(xml, 'width'), ...tag(xml, 'height'), ...tag(xml, 'depth')], ['64', '64', '3']);
    assert.deepEqual(tag(xml, 'name'), [s.shape], 'one object named by its class');
    assert.deepEqual(tag(xml, 'difficult'), ['0']);
    // Mask bounds computed here from the mask, not taken from sample.box.
    let xmin = 64, ymin = 64, xmax = -1, ymax = -1;
    s.masks.object.forEach((m, i) => {
      if (!m) return;
      xmin = Math.min(xmin, i % 64); xmax = Math.max(xmax, i % 64);
      ymin = Math.min(ymin, Math.floor(i / 64)); ymax = Math.max(ymax, Math.floor(i / 64));
    });
    const box = ['xmin', 'ymin', 'xmax', 'ymax'].map((k) => Number(tag(xml, k)[0]));
    assert.deepEqual(box, [xmin + 1, ymin + 1, xmax + 1, ymax + 1], `${s.name} box (1-based inclusive)`);
    const img = await readPng(path.join(v, 'JPEGImages', `${s.name}.png`));
    assert.deepEqual(img.data, s.image);
    const split = broden.find((r) => r.image.endsWith(`/${s.name}.png`))!.split;
    assert.ok(lists[split].includes(s.name), `${s.name} is in ${split}.txt as in Broden's index.csv`);
  }
  assert.ok(existsSync(path.join(v, 'ImageSets', 'Main', 'val.txt')));
});
