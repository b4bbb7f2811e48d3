// The synthetic world: deterministic, ground truth consistent with the pixels, every concept present, geometry as
// documented. All numbers are computed from generated samples, none are stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/errors';
import {
  DARK_SHADE, generateSample, generateWorld, insideShape, PIXEL_NOISE, type WorldSample,
} from '../../src/engine/datasets/syntheticWorld';
import { BACKGROUNDS, COLORS, SHAPES, TEXTURES } from '../../src/engine/datasets/worldVocabulary';

const WORLD = generateWorld(11, 600);

function tightBox(mask: Uint8Array, size: number) {
  const b = { xmin: size, ymin: size, xmax: -1, ymax: -1 };
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = i % size;
    const y = Math.floor(i / size);
    b.xmin = Math.min(b.xmin, x); b.xmax = Math.max(b.xmax, x);
    b.ymin = Math.min(b.ymin, y); b.ymax = Math.max(b.ymax, y);
  }
  return b;
}

const pixel = (s: WorldSample, i: number) => [s.image[i * 3], s.image[i * 3 + 1], s.image[i * 3 + 2]];
/** Largest per-channel difference. */
const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((v, c) => Math.abs(v - b[c])));
// Pixel noise is uniform ±PIXEL_NOISE then rounded, so a painted colour is reproduced to within noise + ½.
const TOL = PIXEL_NOISE + 0.5;

test('same seed and index give identical pixels and masks; other seeds differ', () => {
  const a = generateSample(5, 17);
  const b = generateSample(5, 17);
  assert.deepEqual(a.image, b.image);
  assert.deepEqual(a.masks, b.masks);
  assert.deepEqual(a.box, b.box);
  // Sample i does not depend on which other samples were generated before it.
  assert.deepEqual(generateWorld(5, 20)[17].image, a.image);
  const other = generateSample(6, 17);
  const differing = a.image.reduce((n, v, i) => n + (v !== other.image[i] ? 1 : 0), 0);
  assert.ok(differing > a.image.length / 2, `seed 6 should give a different image, only ${differing} bytes differ`);
  assert.notDeepEqual(generateSample(5, 18).image, a.image);
});

test('classes cycle with the index and every class, colour, texture and background appears', () => {
  const count = <T>(key: (s: WorldSample) => T) => {
    const m = new Map<T, number>();
    for (const s of WORLD) m.set(key(s), (m.get(key(s)) ?? 0) + 1);
    return m;
  };
  const classes = count((s) => s.shape);
  assert.deepEqual([...classes.keys()].sort(), [...SHAPES].sort());
  for (const n of classes.values()) assert.equal(n, WORLD.length / SHAPES.length, 'classes are exactly balanced');
  WORLD.forEach((s, i) => assert.equal(s.classIndex, i % SHAPES.length));
  const colors = count((s) => s.color);
  const textures = count((s) => s.texture);
  const backgrounds = count((s) => s.background);
  assert.deepEqual([...colors.keys()].sort(), COLORS.map((c) => c.name).sort());
  assert.deepEqual([...textures.keys()].sort(), [...TEXTURES].sort());
  assert.deepEqual([...backgrounds.keys()].sort(), [...BACKGROUNDS].sort());
  // Roughly uniform: no colour/texture/background below half its expected share in 600 draws.
  for (const [m, k] of [[colors, COLORS.length], [textures, TEXTURES.length], [backgrounds, BACKGROUNDS.length]] as const)
    for (const n of m.values()) assert.ok(n > WORLD.length / k / 2, `a concept is rare: ${n} of ${WORLD.length}`);
  // Attributes are independent of the class: each texture occurs with each shape.
  for (const shape of SHAPES) for (const texture of TEXTURES)
    assert.ok(WORLD.some((s) => s.shape === shape && s.texture === texture), `${texture} ${shape} never drawn`);
});

test('the four masks agree with each other and with the sample attributes', () => {
  for (const s of WORLD) {
    const { object, color, texture, shape } = s.masks;
    let area = 0;
    for (let i = 0; i < object.length; i++) {
      assert.ok(object[i] === 0 || object[i] === 1);
      if (object[i]) {
        area++;
        assert.equal(shape[i], s.classIndex + 1);
        assert.equal(color[i], s.colorIndex + 1);
        assert.equal(texture[i], s.textureIndex + 1);
      } else {
        assert.equal(shape[i] + color[i] + texture[i], 0, `${s.name}: background pixel ${i} carries a label`);
      }
    }
    assert.ok(area > 100, `${s.name}: object of ${area} px is too small to recognise`);
    assert.equal(s.shape, SHAPES[s.classIndex]);
    assert.equal(s.color, COLORS[s.colorIndex].name);
    assert.deepEqual(s.rgb, COLORS[s.colorIndex].rgb);
  }
});

test('object pixels have the object colour (plain) or its two tones (textured); the background stands apart', () => {
  for (const s of WORLD) {
    const dark = s.rgb.map((v) => v * DARK_SHADE);
    let darkPixels = 0;
    let object = 0;
    let confusable = 0;
    let background = 0;
    for (let i = 0; i < s.masks.object.length; i++) {
      const p = pixel(s, i);
      if (s.masks.object[i]) {
        object++;
        if (s.texture === 'plain') assert.ok(maxDiff(p, s.rgb) <= TOL, `${s.name}: plain object pixel ${p} vs ${s.rgb}`);
        else {
          const isDark = maxDiff(p, dark) <= TOL;
          assert.ok(isDark || maxDiff(p, s.rgb) <= TOL, `${s.name}: ${s.texture} pixel ${p} is neither tone`);
          if (isDark) darkPixels++;
        }
      } else {
        background++;
        if (maxDiff(p, s.rgb) <= TOL) confusable++;
      }
    }
    // Both tones of a texture are visible (at least 5 % of the object each).
    if (s.texture !== 'plain') {
      assert.ok(darkPixels > 0.05 * object && darkPixels < 0.95 * object,
        `${s.name}: ${s.texture} has ${darkPixels}/${object} dark pixels`);
    }
    assert.ok(confusable < 0.01 * background, `${s.name}: ${confusable} background pixels look like the object colour`);
  }
});

test('the box is the tight box of the object mask and the object is never cut by the border', () => {
  for (const s of WORLD) {
    const t = tightBox(s.masks.object, s.width);
    assert.deepEqual(s.box, t, s.name);
    assert.ok(t.xmin > 0 && t.ymin > 0 && t.xmax < s.width - 1 && t.ymax < s.height - 1, `${s.name} touches the border`);
    // Every mask pixel is inside the box (tightBox guarantees it; this states the property the pointing game needs).
    for (let i = 0; i < s.masks.object.length; i++) {
      if (!s.masks.object[i]) continue;
      const x = i % s.width;
      const y = Math.floor(i / s.width);
      assert.ok(x >= s.box.xmin && x <= s.box.xmax && y >= s.box.ymin && y <= s.box.ymax);
    }
  }
});

test('mask areas match each shape\'s geometry (area / r² against the analytic value)', () => {
  const star = 10 * 0.5 * 1 * 0.42 * Math.sin(Math.PI / 5);
  const expected: Record<string, number> = {
    circle: Math.PI, square: 2, triangle: (3 * Math.sqrt(3)) / 4, star,
    cross: 2 * (2 * 0.94) * 0.64 - 0.64 * 0.64, ring: Math.PI * (1 - 0.55 * 0.55),
  };
  for (const s of WORLD) {
    const area = s.masks.object.reduce((a, v) => a + v, 0);
    const ratio = area / (s.radius * s.radius) / expected[s.shape];
    // Pixel-centre sampling errs by about perimeter × ½ px, < 10 % for radii ≥ 11 px.
    assert.ok(Math.abs(ratio - 1) < 0.1, `${s.name} (${s.shape}, r=${s.radius.toFixed(1)}): area ratio ${ratio.toFixed(3)}`);
    const c = Math.floor(s.center.y) * s.width + Math.floor(s.center.x);
    assert.equal(s.masks.object[c], s.shape === 'ring' ? 0 : 1, `${s.name}: centre pixel of a ${s.shape}`);
  }
  // The unit-coordinate test itself: points just inside / outside each boundary.
  assert.ok(insideShape('square', 0.7, 0.7) && !insideShape('square', 0.72, 0));
  assert.ok(insideShape('cross', 0.9, 0.3) && !insideShape('cross', 0.5, 0.5));
  assert.ok(insideShape('triangle', 0, -0.95) && !insideShape('triangle', 0, 0.55));
  assert.ok(insideShape('star', 0, -0.95) && !insideShape('star', 0.3, -0.6));
  assert.ok(insideShape('ring', 0.8, 0) && !insideShape('ring', 0.3, 0));
});

test('larger worlds scale the geometry; bad arguments are refused with BAD_ARGUMENT', () => {
  const big = generateSample(3, 4, { size: 128 });
  assert.equal(big.image.length, 128 * 128 * 3);
  assert.ok(big.radius >= 22 && big.radius <= 46, `radius ${big.radius} for size 128`);
  assert.deepEqual(big.box, tightBox(big.masks.object, 128));
  const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT');
  bad(() => generateSample(-1, 0));
  bad(() => generateSample(1.5, 0));
  bad(() => generateSample(1, -3));
  bad(() => generateSample(1, 0, { size: 8 }));
  bad(() => generateWorld(1, -1));
});
