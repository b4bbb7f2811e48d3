// Pointing game (METHODS.md §4): hit rule and tolerance, skip and difficult rules, aggregation, centre baseline,
// VOC/COCO readers and the runner, on hand-made cases and the fixtures in test/fixtures/pointing (see its README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../src/engine/errors';
import {
  aggregate, allDifficult, argmaxPoint, centrePoint, difficultByRule, inDifficultList, isHit, parseDifficultList, pointOnImage,
  regionFromBoxes, resizeBilinear, type Outcome, type SaliencyMap,
} from '../../src/engine/benchmarks/pointingGame';
import { chooseTarget, parseClassMap, readClassMap } from '../../src/engine/benchmarks/classMap';
import { runPointingGame, type ExplainFn } from '../../src/engine/benchmarks/pointingRunner';
import { boxIoU, localisationBox, thresholdHeatmap } from '../../src/engine/benchmarks/heatmapBox';
import { parseVocAnnotation, readVocAnnotations, VOC_CLASSES } from '../../src/engine/datasets/vocAnnotations';
import { decodeRle, decodeRleString, objectMask, parseCocoAnnotations, readCocoAnnotations } from '../../src/engine/datasets/cocoAnnotations';
import { vocAnnotationXml } from '../../src/engine/datasets/vocWriter';
import type { WorldSample } from '../../src/engine/datasets/syntheticWorld';

const FIX = 'test/fixtures/pointing';
const VOC = path.join(FIX, 'voc');
const COCO = path.join(FIX, 'coco');

const isInvalid = (re: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'INPUT_INVALID' && re.test(e.message);

test('argmax point: first maximum in row-major order, NaN ignored', () => {
  assert.deepEqual(argmaxPoint({ width: 3, height: 2, data: [0, 5, 1, 5, 2, 5] }), { x: 1, y: 0 });
  assert.deepEqual(argmaxPoint({ width: 2, height: 2, data: [NaN, -1, -3, NaN] }), { x: 1, y: 0 });
  assert.throws(() => argmaxPoint({ width: 2, height: 2, data: [1, 2, 3] }), isInvalid(/inconsistent/));
  assert.throws(() => argmaxPoint({ width: 1, height: 1, data: [NaN] }), isInvalid(/no finite value/));
});

test('bilinear resize matches PyTorch align_corners=False (TorchRay resize_saliency)', () => {
  // F.interpolate(tensor([[0,1],[2,3]]), size=4, mode='bilinear', align_corners=False)
  const want = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3];
  const got = resizeBilinear({ width: 2, height: 2, data: [0, 1, 2, 3] }, 4, 4);
  assert.deepEqual(Array.from(got.data), want);
  // the point moves with the stretch: max of a 4×2 map in its last column → the last columns of a 40×10 image
  // (from x = 35 on, the half-pixel source coordinate clamps to the last column: the first maximum is x = 35)
  assert.deepEqual(pointOnImage({ width: 4, height: 2, data: [0, 0, 0, 1, 0, 0, 0, 0] }, 40, 10), { x: 35, y: 0 });
});

test('hit rule: a ground-truth pixel strictly closer than 15 px (§4.1)', () => {
  // box x 50…59, y 20…29 in a 100×60 image
  const region = regionFromBoxes([{ xmin: 50, ymin: 20, xmax: 59, ymax: 29 }], 100, 60);
  assert.equal(isHit({ x: 55, y: 25 }, region), true, 'inside');
  assert.equal(isHit({ x: 35, y: 25 }, region), false, 'exactly 15 px left of column 50: not < 15');
  assert.equal(isHit({ x: 36, y: 25 }, region), true, '14 px');
  assert.equal(isHit({ x: 35.5, y: 25 }, region), true, '14.5 px (fractional points, as the centre baseline)');
  assert.equal(isHit({ x: 74, y: 25 }, region), false, '15 px right of column 59');
  // diagonal from the corner (59, 29): (10, 11) → √221 ≈ 14.87 hit; (11, 11) → √242 ≈ 15.56 miss
  assert.equal(isHit({ x: 69, y: 40 }, region), true);
  assert.equal(isHit({ x: 70, y: 40 }, region), false);
  assert.equal(isHit({ x: 70, y: 40 }, region, 16), true, 'tolerance is a parameter');
  // union of boxes, clipped to the image
  const two = regionFromBoxes([{ xmin: 0, ymin: 0, xmax: 3, ymax: 3 }, { xmin: 90, ymin: 50, xmax: 120, ymax: 70 }], 100, 60);
  assert.equal(two.mask.reduce((a, b) => a + b, 0), 16 + 10 * 10);
  assert.equal(isHit({ x: 80, y: 45 }, two), true);
});

test('centre baseline (W/2, H/2) without rounding (§4.5)', () => {
  assert.deepEqual(centrePoint(375, 500), { x: 187.5, y: 250 });
  const farBox = regionFromBoxes([{ xmin: 0, ymin: 0, xmax: 29, ymax: 29 }], 100, 100);
  assert.equal(isHit(centrePoint(100, 100), farBox), false, '(50, 50) is ≥ 15 px from the box');
});

test('skip and difficult rules (§4.2, §4.3)', () => {
  assert.equal(allDifficult([{ difficult: true }, { difficult: true }]), true);
  assert.equal(allDifficult([{ difficult: true }, { difficult: false }]), false);
  const list = parseDifficultList(readFileSync(path.join(VOC, 'difficult.txt'), 'utf8'), 20);
  const col = (c: string) => VOC_CLASSES.indexOf(c);
  assert.equal(inDifficultList(list, 'img_a.png', col('person')), true, 'flag 1, found by id');
  assert.equal(inDifficultList(list, 'img_a', col('dog')), false, 'flag 0');
  assert.equal(inDifficultList(list, 'img_c.png', col('dog')), true, 'an image absent from the list is evaluated');
  assert.throws(() => parseDifficultList('img\t0\t1\n', 20, 'x.txt'), isInvalid(/x.txt: line 1 has 2 flags, expected one per class \(20\)/));
  assert.throws(() => parseDifficultList('img\t0\t2\n', 2), isInvalid(/flag "2"/));
  // rule: another category present and the class covers < 1/4 of the image
  assert.equal(difficultByRule(100, 1000, 2), true);
  assert.equal(difficultByRule(250, 1000, 2), false);
  assert.equal(difficultByRule(100, 1000, 1), false);
});

test('aggregation: per-class hits/(hits+misses), mean over all classes, unevaluated classes count 0 (§4.4)', () => {
  const o = (className: string, outcome: Outcome) => ({ className, outcome });
  const s = aggregate([o('dog', 1), o('dog', 1), o('dog', -1), o('cat', -1), o('cat', 0), o('car', 0)], ['dog', 'cat', 'car', 'bus']);
  assert.deepEqual(s.perClass.dog, { hits: 2, misses: 1, accuracy: 2 / 3 });
  assert.deepEqual(s.perClass.cat, { hits: 0, misses: 1, accuracy: 0 });
  assert.deepEqual(s.perClass.car, { hits: 0, misses: 0, accuracy: 0 }, 'skipped pairs do not count');
  assert.equal(s.mean, (2 / 3) / 4);
  assert.throws(() => aggregate([o('cow', 1)], ['dog']), /unknown class "cow"/);
});

test('VOC reader: fixture values, 0-based boxes, flags, nested parts ignored', async () => {
  const all = await readVocAnnotations(VOC);
  assert.deepEqual(all.map((a) => a.filename), ['img_a.png', 'img_b.jpg', 'img_c.png'], 'found under Annotations/, name order');
  const [a, b] = all;
  assert.deepEqual([a.width, a.height], [200, 100]);
  assert.deepEqual(a.objects.map((o) => [o.name, o.difficult, o.truncated]), [['dog', false, false], ['person', true, false], ['person', false, true]]);
  assert.deepEqual(a.objects[0].box, { xmin: 10, ymin: 20, xmax: 59, ymax: 79 });
  assert.deepEqual(a.objects[2].box, { xmin: 170, ymin: 60, xmax: 189, ymax: 99 });
  assert.deepEqual(b.objects.find((o) => o.name === 'car')!.box, { xmin: 49, ymin: 39, xmax: 69, ymax: 59 }, 'fractions truncated');
  assert.deepEqual(b.objects.filter((o) => o.name === 'cat').map((o) => o.difficult), [true, true]);
  // image set ids, and a single file
  assert.deepEqual((await readVocAnnotations(VOC, ['img_c', 'img_a'])).map((x) => x.filename), ['img_c.png', 'img_a.png']);
  assert.equal((await readVocAnnotations(path.join(VOC, 'Annotations', 'img_c.xml'))).length, 1);
  await assert.rejects(readVocAnnotations(VOC, ['img_z']), isInvalid(/img_z.xml/));
  await assert.rejects(readVocAnnotations(path.join(FIX, 'nowhere')), isInvalid(/not found/));
});

test('VOC reader: malformed files give clear errors with the file and line', async () => {
  const bad = (f: string) => readVocAnnotations(path.join(FIX, 'voc_malformed', f));
  await assert.rejects(bad('mismatched.xml'), isInvalid(/mismatched.xml: line 4: <\/objet> closes <object>/));
  await assert.rejects(bad('nosize.xml'), isInvalid(/has no <size>/));
  await assert.rejects(bad('emptybox.xml'), isInvalid(/box of "dog" is empty/));
  await assert.rejects(bad('nan.xml'), isInvalid(/<xmin> is not a number: "one"/));
  await assert.rejects(bad('root.xml'), isInvalid(/line 2: the root element is <annotations>/));
  assert.throws(() => parseVocAnnotation('<annotation><filename>a</filename>', 'inline'), isInvalid(/<annotation> \(line 1\) is never closed/));
  assert.throws(() => parseVocAnnotation('<annotation>&bogus;</annotation>', 'inline'), isInvalid(/unknown entity/));
});

test('VOC reader parses what the synthetic world\'s VOC writer writes', () => {
  const sample = { name: 's1_000042', seed: 1, width: 64, height: 48, shape: 'circle', box: { xmin: 3, ymin: 4, xmax: 20, ymax: 30 } } as unknown as WorldSample;
  const a = parseVocAnnotation(vocAnnotationXml(sample, { folder: 'A&B' }));
  assert.deepEqual([a.filename, a.width, a.height], ['s1_000042.png', 64, 48]);
  assert.deepEqual(a.objects, [{ name: 'circle', difficult: false, truncated: false, box: sample.box }]);
});

test('COCO reader: categories by id, polygons, uncompressed and compressed RLE (column-major)', async () => {
  const ds = await readCocoAnnotations(path.join(COCO, 'instances.json'));
  assert.deepEqual(ds.categories, ['person', 'car', 'dog'], 'ordered by category id (1, 3, 18)');
  const [p1, p2] = ds.images;
  assert.deepEqual([p1.fileName, p1.width, p1.height, p1.objects.length], ['p1.png', 64, 48, 2]);
  // rectangle polygon (10,10)–(20,15): pixel centres 10.5…19.5 × 10.5…14.5 → 10 × 5 pixels
  const rect = objectMask(p1.objects[0], 64, 48);
  assert.equal(rect.reduce((a, b) => a + b, 0), 50);
  assert.equal(rect[10 * 64 + 10], 1); assert.equal(rect[15 * 64 + 10], 0); assert.equal(rect[10 * 64 + 20], 0);
  // right triangle with legs 20: about half of 400 pixels
  const tri = objectMask(p1.objects[1], 64, 48).reduce((a, b) => a + b, 0);
  assert.ok(tri >= 190 && tri <= 210, `triangle area ${tri}`);
  // crowd, uncompressed RLE: rows 5…9, columns 30…35
  const crowd = p2.objects.find((o) => o.iscrowd)!;
  const cm = objectMask(crowd, 40, 30);
  assert.equal(cm.reduce((a, b) => a + b, 0), 30);
  assert.equal(cm[5 * 40 + 30], 1); assert.equal(cm[9 * 40 + 35], 1); assert.equal(cm[10 * 40 + 30], 0); assert.equal(cm[5 * 40 + 36], 0);
  // compressed RLE of a disc of radius 4 at (x 10, y 20): 49 pixels
  const disc = objectMask(p2.objects.find((o) => o.name === 'car')!, 40, 30);
  assert.equal(disc.reduce((a, b) => a + b, 0), 49);
  assert.equal(disc[20 * 40 + 10], 1); assert.equal(disc[20 * 40 + 14], 1); assert.equal(disc[20 * 40 + 15], 0); assert.equal(disc[24 * 40 + 10], 1);
  assert.deepEqual(decodeRleString('X61k04M2O0O20N101N3Llf0'), [200, 1, 27, 5, 24, 7, 23, 7, 22, 9, 22, 7, 23, 7, 24, 5, 27, 1, 759]);
  // column-major: counts [1, 2] on a 2×2 mask set (row 1, col 0) and (row 0, col 1)
  assert.deepEqual(Array.from(decodeRle({ size: [2, 2], counts: [1, 2, 1] })), [0, 1, 1, 0]);
});

test('COCO reader: malformed files give clear errors', async () => {
  await assert.rejects(readCocoAnnotations(path.join(COCO, 'bad_json.json')), isInvalid(/not valid JSON/));
  await assert.rejects(readCocoAnnotations(path.join(COCO, 'bad_image_ref.json')), isInvalid(/annotations\[0\] refers to image 2/));
  const bad = JSON.parse(readFileSync(path.join(COCO, 'bad_rle.json'), 'utf8'));
  const ds = parseCocoAnnotations(JSON.stringify(bad));
  assert.throws(() => objectMask(ds.images[0].objects[0], 10, 10), isInvalid(/RLE counts cover 7 pixels, the mask has 10×10 = 100/));
  assert.throws(() => parseCocoAnnotations('{"images": [], "annotations": []}', 'x.json'), isInvalid(/x.json: "categories" is missing/));
  assert.throws(() => parseCocoAnnotations('{"images":[{"id":1,"file_name":"a","width":0,"height":3}],"annotations":[],"categories":[]}'), isInvalid(/positive integer "width"/));
  await assert.rejects(readCocoAnnotations(path.join(COCO, 'missing.json')), isInvalid(/ENOENT/));
});

test('class maps: format, errors, target choice; the shipped VOC → ImageNet map', async () => {
  const m = parseClassMap({ _comment: 'x', dog: [151, 152], cat: 281 });
  assert.deepEqual([...m.entries()], [['dog', [151, 152]], ['cat', [281]]]);
  const badArg = (re: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT' && re.test(e.message);
  assert.throws(() => parseClassMap([1, 2]), badArg(/must be a JSON object/));
  assert.throws(() => parseClassMap({ dog: [] }), badArg(/"dog" must map to a non-empty list/));
  assert.throws(() => parseClassMap({ dog: [1.5] }), badArg(/1.5 is not a model index/));
  assert.throws(() => parseClassMap({ dog: [1000] }, 1000), badArg(/index 1000 is out of range/));
  assert.throws(() => parseClassMap({ dog: [3, 3] }), badArg(/twice/));
  const sc = new Float32Array(200); sc[151] = 8; sc[152] = 9; sc[153] = 1;
  assert.equal(chooseTarget([151, 152, 153], sc), 152, 'the mapped index the model scores highest');
  assert.equal(chooseTarget([151], sc), 151);
  assert.equal(chooseTarget([151, 152]), 151, 'no scores: the first index');

  const voc = await readClassMap('media/classmaps/voc_imagenet.json', 1000);
  assert.deepEqual([...voc.keys()], VOC_CLASSES, 'all 20 VOC classes, in the standard order');
  const owner = new Map<number, string>();
  for (const [c, idx] of voc) for (const i of idx) {
    assert.ok(!owner.has(i), `index ${i} is in both ${owner.get(i)} and ${c}`);
    owner.set(i, c);
  }
  const names: string[] = JSON.parse(readFileSync('../shared/models/imagenet_classes.json', 'utf8'));
  const label = (c: string) => voc.get(c)!.map((i) => names[i]);
  assert.ok(label('cat').every((n) => /cat|tabby/i.test(n)));
  assert.ok(label('tvmonitor').every((n) => /monitor|screen|television/i.test(n)));
  assert.equal(voc.get('dog')!.length, 118, 'the 118 dog breeds 151–268');
  assert.equal(voc.get('bird')!.length, 59, 'the 59 bird classes');
  assert.deepEqual(label('diningtable'), ['dining table, board']);
});

test('runner on the VOC fixture: centre baseline, oracle and corner methods, skip, difficult list and rule, outputs', async () => {
  const classMap = parseClassMap({ dog: [151, 152], person: [981], cat: [281], car: [436] });
  // 'oracle' points at the centre of the union of the class's boxes (computed from the annotations), 'corner' at (0, 0)
  const boxCentres: Record<string, Record<string, [number, number]>> = {
    'img_a.png': { dog: [35, 50], person: [165, 50] }, 'img_b.jpg': { car: [59, 49] }, 'img_c.png': { dog: [15, 15] },
  };
  const targetsSeen: number[] = [];
  const explain: ExplainFn = async (imagePath, target, method) => {
    targetsSeen.push(target);
    const file = path.basename(imagePath);
    const className = [...classMap].find(([, idx]) => idx.includes(target))![0];
    // maps at a 50×50 "model resolution", so the runner must resize them to the image (§4.1)
    const w = 50, h = 50;
    const data = new Float32Array(w * h);
    const dims = { 'img_a.png': [200, 100], 'img_b.jpg': [120, 90], 'img_c.png': [100, 100] }[file]!;
    const [cx, cy] = method === 'oracle' ? boxCentres[file][className] : [0, 0];
    data[Math.min(h - 1, Math.floor((cy * h) / dims[1])) * w + Math.min(w - 1, Math.floor((cx * w) / dims[0]))] = 1;
    return { width: w, height: h, data };
  };
  const scores = new Float32Array(1000); scores[152] = 5; scores[151] = 2;
  const out = mkdtempSync(path.join(os.tmpdir(), 'pointing-'));
  const r = await runPointingGame({
    images: path.join(VOC, 'JPEGImages'), annotations: VOC, classMap, methods: ['oracle', 'corner', 'center'], out,
    classScores: async () => scores, difficultList: path.join(VOC, 'difficult.txt'),
  }, explain);

  assert.deepEqual(r.methods, ['center', 'oracle', 'corner'], 'centre always first, never twice');
  assert.deepEqual(r.unmappedClasses, ['horse']);
  // pairs: img_a dog, person; img_b car (cat skipped: all its boxes are difficult); img_c dog
  assert.deepEqual(r.pairs, { all: 4, difficult: 3, skipped: 1 });
  assert.ok(targetsSeen.every((t) => t !== 151), 'dog: the higher-scoring index 152 is explained');
  assert.equal(r.details.find((d) => d.className === 'cat')!.target, null, 'skipped pairs are not explained');

  const acc = (m: string, subset: 'all' | 'difficult', c: string) => r.scores[m][subset].perClass[c].accuracy;
  // oracle hits everything it is asked
  assert.deepEqual(['dog', 'person', 'car'].map((c) => acc('oracle', 'all', c)), [1, 1, 1]);
  assert.equal(r.scores.oracle.all.mean, 3 / 4, 'cat has no evaluated pair and counts 0 in the mean');
  // centre: img_a (100, 50) is 41 px from the dog box (x ≤ 59) and 49 px from the nearest person box → misses;
  //         img_b (60, 45) lies inside the car box → hit; img_c (50, 50) is 21√2 px from the box corner (29, 29) → miss
  assert.deepEqual(['dog', 'person', 'car'].map((c) => acc('center', 'all', c)), [0, 0, 1]);
  // corner (0, 0): img_a dog box starts at (10, 20): √500 ≈ 22 → miss; img_c dog box contains (0, 0) → hit
  assert.equal(acc('corner', 'all', 'dog'), 0.5);
  // difficult list: img_a person flagged 1, dog 0; img_b car flagged 1; img_c absent → evaluated
  assert.deepEqual(r.details.filter((d) => d.difficult && !d.skipped).map((d) => `${d.image}:${d.className}`).sort(),
    ['img_a.png:person', 'img_b.jpg:car', 'img_c.png:dog']);
  assert.equal(r.scores.corner.difficult.perClass.dog.hits + r.scores.corner.difficult.perClass.dog.misses, 1, 'only img_c\'s dog is a difficult dog pair');

  // outputs
  const json = JSON.parse(readFileSync(path.join(out, 'pointing.json'), 'utf8'));
  assert.equal(json.scores.oracle.all.mean, 0.75);
  const csv = readFileSync(path.join(out, 'pointing.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'class,pairs_all,pairs_difficult,center_all,center_difficult,oracle_all,oracle_difficult,corner_all,corner_difficult');
  assert.equal(csv[1], 'dog,2,1,0.00,0.00,100.00,100.00,50.00,100.00');
  assert.equal(csv.at(-1), 'mean,4,3,25.00,25.00,75.00,75.00,12.50,25.00');

  // without a list, the difficult subset follows the rule: img_a's dog (3000 px < 5000, with a person) and person
  const byRule = await runPointingGame({ images: path.join(VOC, 'JPEGImages'), annotations: VOC, classMap, methods: [] }, explain);
  assert.equal(byRule.difficultSource, 'rule');
  assert.deepEqual(byRule.details.filter((d) => d.difficult && !d.skipped).map((d) => `${d.image}:${d.className}`).sort(),
    ['img_a.png:dog', 'img_a.png:person', 'img_b.jpg:car']);
});

test('runner: image sets, COCO, limits and errors before any work', async () => {
  let calls = 0;
  const explain: ExplainFn = async () => { calls++; return { width: 2, height: 2, data: [1, 0, 0, 0] }; };
  const classMap = parseClassMap({ dog: [1], person: [2], car: [3] });
  const set = await runPointingGame({
    images: path.join(VOC, 'JPEGImages'), annotations: VOC, imageSet: path.join(VOC, 'ImageSets/Main/test.txt'), classMap, methods: ['m'],
  }, explain);
  assert.equal(set.images, 2);

  const coco = await runPointingGame({ images: path.join(COCO, 'images'), annotations: path.join(COCO, 'instances.json'), classMap, methods: ['m'] }, explain);
  assert.equal(coco.dataset, 'coco');
  // p1: dog, person; p2: person (crowd + polygon, one union), car
  assert.deepEqual(coco.pairs.all, 4);
  // 'm' points at (0, 0): p2's person polygon (2…4, 2…4) is within 15 px → hit; p1's dog (10,10) √200 ≈ 14.1 → hit;
  // p1's person triangle starts at (40, 20) → miss; p2's car disc centre (10, 20), radius 4 → miss
  assert.deepEqual(['dog', 'person', 'car'].map((c) => coco.scores.m.all.perClass[c].accuracy), [1, 0.5, 0]);

  const before = calls;
  await assert.rejects(runPointingGame({ images: FIX, annotations: VOC, classMap, methods: ['m'] }, explain),
    (e: unknown) => e instanceof EngineError && e.code === 'IMAGE_NOT_FOUND' && /3 annotated image\(s\) not found/.test(e.message));
  await assert.rejects(runPointingGame({ images: VOC, annotations: VOC, classMap: 'nope.json', methods: ['m'] }, explain),
    (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT' && /nope.json/.test(e.message));
  await assert.rejects(runPointingGame({ images: VOC, annotations: VOC, classMap, methods: ['m'], tolerance: -1 }, explain),
    (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT');
  assert.equal(calls, before, 'nothing was explained');
  const limited = await runPointingGame({ images: path.join(VOC, 'JPEGImages'), annotations: VOC, classMap, methods: ['m'], limit: 1 }, explain);
  assert.equal(limited.images, 1);
});

test('weak localisation boxes from heatmaps: value, energy and mean rules (§2.9)', () => {
  // 4×2 map: [[0, 1, 2, 3], [4, 5, 6, 10]]; min 0, max 10, sum 31, mean 3.875
  const map: SaliencyMap = { width: 4, height: 2, data: [0, 1, 2, 3, 4, 5, 6, 10] };
  assert.deepEqual(Array.from(thresholdHeatmap(map, 'value', 0.5)), [0, 0, 0, 0, 0, 1, 1, 1]);
  // energy 0.5: 10 (cum 10 < 15.5) → 6 (16 ≥ 15.5): keep {10, 6}
  assert.deepEqual(Array.from(thresholdHeatmap(map, 'energy', 0.5)), [0, 0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(Array.from(thresholdHeatmap(map, 'mean', 1)), [0, 0, 0, 0, 1, 1, 1, 1]);
  // kept {6, 10} at columns 2–3 of row 1 → on a 40×20 image: x 20…39, y 10…19
  assert.deepEqual(localisationBox(map, 'energy', 0.5, 40, 20), { xmin: 20, ymin: 10, xmax: 39, ymax: 19 });
  assert.deepEqual(localisationBox({ width: 2, height: 1, data: [1, 1] }, 'mean', 2, 10, 10), { xmin: 0, ymin: 0, xmax: 9, ymax: 9 }, 'nothing survives → whole image');
  assert.equal(boxIoU({ xmin: 0, ymin: 0, xmax: 9, ymax: 9 }, { xmin: 5, ymin: 0, xmax: 14, ymax: 9 }), 50 / 150);
});
