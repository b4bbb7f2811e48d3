// Broden and concept-folder readers on hand-made edge cases (METHODS.md §5.1), plus the exact mergeable thresholds
// (§5.2) and average precision (§5.6) the probes rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { readBroden } from '../../src/engine/datasets/brodenReader';
import { readConceptFolders } from '../../src/engine/datasets/conceptFolders';
import { encodeLabelPixels } from '../../src/engine/datasets/pngFiles';
import { EngineError } from '../../src/engine/errors';
import { conceptMask, labelsPresent } from '../../src/engine/probing/conceptMasks';
import { TopValues } from '../../src/engine/probing/filterThresholds';
import { averagePrecision } from '../../src/engine/probing/averagePrecision';

const png = (file: string, labels: number[], w: number, h: number) =>
  sharp(Buffer.from(encodeLabelPixels(labels)), { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);

/** 2 images, 2×2 label maps: part has two overlapping layers, scene is image-level only, label 300 needs G. */
async function handMade(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-broden-edge-'));
  fs.mkdirSync(path.join(root, 'images', 'src'), { recursive: true });
  for (const n of ['a', 'b']) await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toFile(path.join(root, 'images', 'src', `${n}.png`));
  await png(path.join(root, 'images/src/a_object.png'), [1, 1, 300, 0], 2, 2);
  await png(path.join(root, 'images/src/a_part1.png'), [2, 0, 0, 0], 2, 2);
  await png(path.join(root, 'images/src/a_part2.png'), [0, 2, 3, 0], 2, 2);
  await png(path.join(root, 'images/src/b_object.png'), [0, 0, 0, 1], 2, 2);
  fs.writeFileSync(path.join(root, 'index.csv'), 'image,split,ih,iw,sh,sw,object,part,scene\n' +
    'src/a.png,train,4,4,2,2,src/a_object.png,src/a_part1.png;src/a_part2.png,\n' +
    'src/b.png,val,4,4,2,2,src/b_object.png,,7\n');
  fs.writeFileSync(path.join(root, 'category.csv'), 'name,first,last,count,frequency\nobject,1,300,2,2\npart,2,3,2,1\nscene,7,7,1,1\n');
  fs.writeFileSync(path.join(root, 'label.csv'), 'number,name,category,frequency,coverage,syns\n' +
    '1,wheel,object(2);part(1),2,0.75,\n2,door,part(1),1,0.5,\n3,"roof, red",part(1),1,0.25,\n7,street,scene(1),1,1.0,\n300,car,object(1),1,0.25,\n');
  fs.writeFileSync(path.join(root, 'c_object.csv'), 'code,number,name,frequency,coverage\n1,1,wheel,2,0.75\n2,300,car,1,0.25\n');
  fs.writeFileSync(path.join(root, 'c_part.csv'), 'code,number,name,frequency,coverage\n1,1,wheel,0,0.0\n2,2,door,1,0.5\n3,3,"roof, red",1,0.25\n');
  fs.writeFileSync(path.join(root, 'c_scene.csv'), 'code,number,name,frequency,coverage\n1,7,street,1,1.0\n');
  return root;
}

test('Broden: categories from the header, several layers per cell, image-level items, R + 256·G labels', async () => {
  const root = await handMade();
  try {
    const ds = await readBroden(root);
    assert.deepEqual(ds.categories, ['object', 'part', 'scene']);
    assert.deepEqual(ds.images.map((i) => [i.id, i.split, i.sh, i.sw]), [['src/a.png', 'train', 2, 2], ['src/b.png', 'val', 2, 2]]);
    const byName = Object.fromEntries(ds.concepts.map((c) => [c.name, c]));
    assert.equal(byName['roof, red'].number, 3, 'quoted CSV field');
    assert.deepEqual(byName.wheel.categories, ['object', 'part']);
    assert.equal(byName.wheel.primary, 'object', 'primary = largest coverage in the c_ files');
    const a = await ds.loadLabels(0);
    assert.equal(a.get('part')!.layers.length, 2, 'two masks in one cell');
    assert.deepEqual([...labelsPresent(a)].sort((x, y) => x - y), [1, 2, 3, 300]);
    assert.deepEqual(Array.from(conceptMask(a, byName.car, 4, 'any')), [0, 0, 1, 0], 'label 300 = R 44 + 256·G 1');
    assert.deepEqual(Array.from(conceptMask(a, byName.door, 4, 'any')), [1, 1, 0, 0], 'union over layers');
    const b = await ds.loadLabels(1);
    assert.deepEqual(b.get('scene'), { layers: [], imageLevel: [7] });
    assert.deepEqual(Array.from(conceptMask(b, byName.street, 4, 'firstCategory')), [1, 1, 1, 1], 'image-level = every pixel');
    // A subset by name, and by category.
    assert.deepEqual((await readBroden(root, { concepts: ['car', 'street'] })).concepts.map((c) => c.number), [300, 7]);
    assert.deepEqual((await readBroden(root, { categories: ['scene'] })).concepts.map((c) => c.name), ['street']);
    await assert.rejects(readBroden(root, { concepts: ['boat'] }), (e) => e instanceof EngineError && e.code === 'BAD_ARGUMENT' && /boat/.test(e.message));
    // A missing label file: the error names index.csv's line and the file.
    fs.rmSync(path.join(root, 'images/src/a_part2.png'));
    await assert.rejects(readBroden(root), (e) => e instanceof EngineError && e.code === 'IMAGE_NOT_FOUND' && /index\.csv line 2/.test(e.message) && /a_part2\.png/.test(e.message));
    fs.rmSync(path.join(root, 'images/src/b.png'));
    fs.writeFileSync(path.join(root, 'index.csv'), fs.readFileSync(path.join(root, 'index.csv'), 'utf8').replace('src/a_part1.png;src/a_part2.png', 'src/a_part1.png'));
    await assert.rejects(readBroden(root), (e) => e instanceof EngineError && /index\.csv line 3: image .*b\.png not found/.test(e.message));
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});

test('concept folders: masks become pixel layers, images without masks are classification-only, negatives/', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnlens-folders-'));
  try {
    for (const d of ['stripes', 'dots', 'negatives']) fs.mkdirSync(path.join(root, d));
    const img = (f: string) => sharp({ create: { width: 8, height: 8, channels: 3, background: '#204080' } }).png().toFile(path.join(root, f));
    await img('stripes/1.png');
    await img('stripes/2.png');
    await img('dots/1.png');
    await img('negatives/n.png');
    // Left half white: the concept.
    const mask = Buffer.alloc(64); for (let y = 0; y < 8; y++) for (let x = 0; x < 4; x++) mask[y * 8 + x] = 255;
    for (const f of ['stripes/1.mask.png', 'stripes/2.mask.png']) await sharp(mask, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(path.join(root, f));
    const ds = await readConceptFolders(root, { segmentationSize: 4 });
    assert.deepEqual(ds.concepts.map((c) => [c.name, c.pixelLevel]), [['dots', false], ['stripes', true]]);
    assert.equal(ds.images.length, 4, 'masks are not images');
    const neg = ds.images.findIndex((i) => i.id === 'negatives/n.png');
    assert.deepEqual([...ds.negatives!], [neg]);
    const s1 = await ds.loadLabels(ds.images.findIndex((i) => i.id === 'stripes/1.png'));
    assert.deepEqual(Array.from(conceptMask(s1, ds.concepts[1], 16, 'firstCategory')), [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
    const d1 = await ds.loadLabels(ds.images.findIndex((i) => i.id === 'dots/1.png'));
    assert.deepEqual(d1.get('concept')!.imageLevel, [ds.concepts[0].number]);
    assert.equal((await ds.loadLabels(neg)).size, 0);
    await assert.rejects(readConceptFolders(root, { concepts: ['cats'] }), /Unknown concept cats/);
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});

test('thresholds are exact quantiles and shards merge to the single-pass result', () => {
  const k = 3;
  const n = 5000;
  const values = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
  const q = 0.01;
  const whole = TopValues.forQuantile(k, n, q);
  whole.addInterleaved(values);
  const t = whole.thresholds();
  for (let f = 0; f < k; f++) {
    const col = Array.from({ length: n }, (_, i) => values[i * k + f]);
    assert.equal(col.filter((v) => v > t[f]).length, Math.round(q * n), `filter ${f}: exactly q·n values above`);
  }
  const a = TopValues.forQuantile(k, n, q);
  const b = TopValues.forQuantile(k, n, q);
  a.addInterleaved(values.subarray(0, 1234 * k));
  b.addInterleaved(values.subarray(1234 * k));
  const merged = TopValues.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  merged.merge(b);
  assert.deepEqual(Array.from(merged.thresholds()), Array.from(t));
});

test('average precision follows scikit-learn (ties enter together)', () => {
  assert.ok(Math.abs(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) - 0.8333333) < 1e-6);
  assert.equal(averagePrecision([1, 1, 1, 1], [1, 0, 1, 0]), 0.5);
  assert.equal(averagePrecision([3, 2, 1], [1, 1, 0]), 1);
});
