// Image decoding (sharp) and preprocessing into model inputs, on the shared photos and the shared reference tensors.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeImage, type DecodedImage } from '../../src/engine/image/decodeImage';
import { imageToInput, readRawInput, resolvePreprocessing } from '../../src/engine/image/preprocess';
import { EngineError } from '../../src/engine/errors';
import type { Preprocessing } from '../../src/engine/model/modelTypes';

const SHARED = path.resolve('../shared');
const img = (f: string) => path.join(SHARED, 'images', f);
const ref = (f: string) => path.join(SHARED, 'reference', f);
/** The shared model's convention (../shared/models/README.md "Input convention"). */
const MOBILENET: Preprocessing = { height: 224, width: 224, channels: 'rgb', inputRange: [-1, 1] };

// ---- child mode: decode one file in a fresh process and report its peak memory (see the 8000×8000 test) ----
if (process.env.CNN_LENS_DECODE_CHILD) {
  void (async () => {
    const before = process.resourceUsage().maxRSS;
    const d = await decodeImage(process.env.CNN_LENS_DECODE_CHILD!);
    const growthMB = (process.resourceUsage().maxRSS - before) / 1024;
    const mid = Math.floor((d.height * 9) / 16) * d.width; // inside block row 4
    const px = (i: number) => Array.from(d.data.subarray(3 * i, 3 * i + 3));
    process.stdout.write(JSON.stringify({ width: d.width, height: d.height, originalWidth: d.originalWidth, growthMB, topLeft: px(0), midRight: px(mid + d.width - 1) }));
  })();
} else {
  registerTests();
}

function registerTests(): void {
  let tmp: string;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cnnlens-image-'));
    assert.equal(await tf.setBackend('cpu'), true);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('decodeImage on the shared photos', () => {
    // Displayed W×H from ../shared/images/README.md (car_exif6 is stored 613×800 with EXIF orientation 6).
    const photos: [string, number, number, string][] = [
      ['robin.jpg', 800, 800, 'jpeg'], ['cat.png', 451, 300, 'png'], ['cat_dog.png', 224, 224, 'png'],
      ['dog.jpg', 800, 600, 'jpeg'], ['elephant.jpg', 544, 640, 'jpeg'], ['car.jpg', 800, 613, 'jpeg'],
      ['coffee.jpg', 600, 400, 'jpeg'], ['cameraman_gray.png', 512, 512, 'png'], ['robin_16bit.png', 256, 256, 'png'],
      ['car_exif6.jpg', 800, 613, 'jpeg'], ['cat_coffee_composite.jpg', 400, 533, 'jpeg'],
    ];
    for (const [file, w, h, format] of photos) {
      test(`${file}: ${w}×${h} RGB`, async () => {
        const d = await decodeImage(img(file));
        assert.deepEqual([d.width, d.height, d.originalWidth, d.originalHeight, d.format], [w, h, w, h, format]);
        assert.ok(d.data instanceof Uint8Array);
        assert.equal(d.data.length, w * h * 3);
        const gray = isGray(d);
        assert.equal(gray, file === 'cameraman_gray.png', `R=G=B everywhere: ${gray}`);
        const mean = d.data.reduce((s, v) => s + v, 0) / d.data.length;
        assert.ok(mean > 30 && mean < 225, `mean ${mean.toFixed(1)} is a plausible photo`);
      });
    }

    test('8-bit PNGs (one with an ICC profile) give exactly the stored samples; grayscale becomes R=G=B', async () => {
      for (const file of ['cat.png', 'cat_dog.png', 'cameraman_gray.png']) {
        const png = readPng(img(file));
        const d = await decodeImage(img(file));
        const n = d.width * d.height;
        let mismatches = 0;
        for (let i = 0; i < n; i++)
          for (let c = 0; c < 3; c++) if (d.data[3 * i + c] !== png.samples[i * png.channels + (png.channels === 1 ? 0 : c)]) mismatches++;
        assert.equal(mismatches, 0, `${file}: ${mismatches} samples differ from an independent PNG decode`);
      }
    });

    test('robin_16bit.png is scaled with round(v·255/65535), not truncated, and looks like robin.jpg', async () => {
      const png = readPng(img('robin_16bit.png'));
      assert.equal(png.bitDepth, 16);
      const d = await decodeImage(img('robin_16bit.png'));
      let rounded = 0, truncatedDiffers = 0;
      for (let i = 0; i < d.data.length; i++) {
        const v = png.samples[i];
        if (d.data[i] === Math.round((v * 255) / 65535)) rounded++;
        if (v >> 8 !== Math.round((v * 255) / 65535)) truncatedDiffers++;
      }
      assert.equal(rounded, d.data.length);
      // Proof that the check can fail: dropping the low byte would get this many samples wrong.
      assert.ok(truncatedDiffers > d.data.length / 10, `${truncatedDiffers} samples tell rounding from truncation`);
      // Same picture (the README derives it from robin.jpg, resized to 256×256 by ImageMagick).
      const robin = await decodeImage(img('robin.jpg'), { maxSide: 256 });
      const diff = meanAbsDiff(robin.data, d.data);
      assert.ok(diff < 3, `mean |robin_16bit − robin.jpg at 256| = ${diff.toFixed(2)} grey levels`);
    });

    test('car_exif6.jpg comes out oriented like car.jpg (and would not without the EXIF rotation)', async () => {
      const pre: Preprocessing = { height: 112, width: 112, channels: 'rgb', inputRange: [0, 255] };
      const car = await inputValues(await decodeImage(img('car.jpg')), pre);
      const exif = await decodeImage(img('car_exif6.jpg'));
      const oriented = await inputValues(exif, pre);
      const stored = await inputValues(rotate90ccw(exif), pre); // the pixels as stored in the file
      const upsideDown = await inputValues(rotate180(exif), pre);
      const good = meanAbsDiff(car, oriented), bad1 = meanAbsDiff(car, stored), bad2 = meanAbsDiff(car, upsideDown);
      assert.ok(good < 3, `oriented vs car.jpg: mean |diff| ${good.toFixed(2)}`);
      assert.ok(bad1 > 10 * good && bad2 > 10 * good, `unrotated ${bad1.toFixed(1)}, upside down ${bad2.toFixed(1)} vs ${good.toFixed(2)}`);
    });

    test('maxSide shrinks (antialiased) in the displayed orientation', async () => {
      const exif = await decodeImage(img('car_exif6.jpg'), { maxSide: 100 });
      assert.deepEqual([exif.width, exif.height, exif.originalWidth, exif.originalHeight], [100, 77, 800, 613]);
      const car = await decodeImage(img('car.jpg'), { maxSide: 100 });
      assert.ok(meanAbsDiff(car.data, exif.data) < 3);
      const small = await decodeImage(img('cat_dog.png'), { maxSide: 4096 });
      assert.deepEqual([small.width, small.height], [224, 224], 'never enlarges');
    });
  });

  describe('decodeImage on synthetic files', () => {
    test('8000×8000 JPEG and PNG decode to 2048×2048 with bounded memory', async () => {
      for (const ext of ['jpg', 'png']) {
        const file = path.join(tmp, `big.${ext}`);
        generateBlocks(file, 8000);
        // A fresh process, so that the peak RSS measures this decode and nothing before it.
        const out = JSON.parse(execFileSync(process.execPath, [__filename], { env: { ...process.env, CNN_LENS_DECODE_CHILD: file }, encoding: 'utf8' }));
        assert.deepEqual([out.width, out.height, out.originalWidth], [2048, 2048, 8000]);
        // The 8×8 block pattern survives: block (0,0) and block (7,4), see generateBlocks.
        assertNear(out.topLeft, [0, 0, 40], 6);
        assertNear(out.midRight, [224, 128, 200], 6);
        // Full resolution would need 192 MB for the RGB pixels alone.
        assert.ok(out.growthMB < 128, `${ext}: peak RSS grew by ${out.growthMB.toFixed(0)} MB`);
        rmSync(file);
      }
    });

    test('absurd sizes are refused from the header, before decoding', async () => {
      const file = path.join(tmp, 'huge.png');
      // A valid header claiming 100000×100000, with a few bytes of pixel data.
      writeFileSync(file, encodePng(100000, 100000, 2, 8, Buffer.alloc(10)));
      const t0 = Date.now();
      const e = await rejects(decodeImage(file), 'IMAGE_TOO_LARGE');
      assert.match(e.message, /100000×100000/);
      assert.ok(Date.now() - t0 < 2000);
      await rejects(decodeImage(img('robin.jpg'), { maxInputPixels: 500 * 500 }), 'IMAGE_TOO_LARGE');
    });

    test('transparent pixels are flattened onto white (or the given background); opaque ones kept', async () => {
      // 2×1 RGBA: opaque red, then (0, 100, 200) at alpha 128.
      const file = path.join(tmp, 'alpha.png');
      writeFileSync(file, encodePng(2, 1, 6, 8, Buffer.from([255, 0, 0, 255, 0, 100, 200, 128])));
      const a = 128 / 255;
      const over = (c: number, bg: number) => c * a + bg * (1 - a);
      const white = await decodeImage(file);
      assertNear(Array.from(white.data), [255, 0, 0, over(0, 255), over(100, 255), over(200, 255)], 1);
      const grey = await decodeImage(file, { background: [128, 128, 128] });
      assertNear(Array.from(grey.data), [255, 0, 0, over(0, 128), over(100, 128), over(200, 128)], 1);
      // 16-bit grey + alpha: both the expansion and the 16-bit path at once.
      const file16 = path.join(tmp, 'ga16.png');
      const ga = Buffer.alloc(8);
      ga.writeUInt16BE(40000, 0); ga.writeUInt16BE(65535, 2); ga.writeUInt16BE(40000, 4); ga.writeUInt16BE(0, 6);
      writeFileSync(file16, encodePng(2, 1, 4, 16, ga));
      const g = await decodeImage(file16);
      const v = Math.round((40000 * 255) / 65535);
      assertNear(Array.from(g.data), [v, v, v, 255, 255, 255], 1);
    });

    test('unreadable files get IMAGE_UNREADABLE / IMAGE_NOT_FOUND naming the file', async () => {
      const text = path.join(tmp, 'notes.png');
      writeFileSync(text, 'this is a text file, not an image\n');
      const truncPng = path.join(tmp, 'trunc.png');
      writeFileSync(truncPng, readFileSync(img('cat.png')).subarray(0, 60_000));
      const truncJpg = path.join(tmp, 'trunc.jpg');
      writeFileSync(truncJpg, readFileSync(img('robin.jpg')).subarray(0, 60_000));
      const empty = path.join(tmp, 'empty.jpg');
      writeFileSync(empty, '');
      const cases: [string, string, RegExp][] = [
        [text, 'IMAGE_UNREADABLE', /not an image/], [truncPng, 'IMAGE_UNREADABLE', /truncated or corrupt/],
        [truncJpg, 'IMAGE_UNREADABLE', /truncated or corrupt/], [empty, 'IMAGE_UNREADABLE', /empty/],
        [tmp, 'IMAGE_UNREADABLE', /not a file/], [path.join(tmp, 'missing.jpg'), 'IMAGE_NOT_FOUND', /not found/],
      ];
      for (const [file, code, why] of cases) {
        const e = await rejects(decodeImage(file), code);
        assert.ok(e.message.includes(file), e.message);
        assert.match(e.message, why);
      }
      await rejects(decodeImage(img('cat.png'), { maxSide: 0 }), 'BAD_ARGUMENT');
    });
  });

  describe('imageToInput', () => {
    // 2×2 image; pixel (x, y) has RGB (10+x·100, 20+y·100, 30+x·50+y·100).
    const tiny: DecodedImage = { data: Uint8Array.from([10, 20, 30, 110, 20, 80, 10, 120, 130, 110, 120, 180]), width: 2, height: 2, originalWidth: 2, originalHeight: 2, format: 'raw' };
    // Hand computation of resizeBilinear 2→4 with halfPixelCenters=false: source = dst·2/4 = 0, 0.5, 1, 1.5 (clamped
    // to 1), so a row [a, b] becomes [a, (a+b)/2, b, b]; same down the columns.
    const expected4x4 = (c: number) => {
      const p = (x: number, y: number) => tiny.data[3 * (2 * y + x) + c];
      const row = (y: number) => [p(0, y), (p(0, y) + p(1, y)) / 2, p(1, y), p(1, y)];
      const r0 = row(0), r1 = row(1);
      return [r0, r0.map((v, i) => (v + r1[i]) / 2), r1, r1];
    };

    test('resize (tf defaults), range [-1, 1], RGB: hand computation', async () => {
      const got = await inputValues(tiny, { height: 4, width: 4, channels: 'rgb', inputRange: [-1, 1] });
      for (let c = 0; c < 3; c++) {
        const e = expected4x4(c);
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++)
          assert.ok(Math.abs(got[(y * 4 + x) * 3 + c] - (e[y][x] / 127.5 - 1)) < 1e-6, `(${x},${y},${c})`);
      }
    });

    test('BGR and mean/std (x/255 − mean)/std in the model channel order', async () => {
      const mean: [number, number, number] = [0.406, 0.456, 0.485], std: [number, number, number] = [0.225, 0.224, 0.229];
      const got = await inputValues(tiny, { height: 4, width: 4, channels: 'bgr', mean, std });
      for (let k = 0; k < 3; k++) {
        const e = expected4x4(2 - k); // channel k of a BGR model is RGB channel 2−k
        for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) {
          const want = (e[y][x] / 255 - mean[k]) / std[k];
          assert.ok(Math.abs(got[(y * 4 + x) * 3 + k] - want) < 1e-5, `(${x},${y},${k}): ${got[(y * 4 + x) * 3 + k]} vs ${want}`);
        }
      }
    });

    test('default range [0, 1], output shape/dtype, no leaked tensors, bad input rejected', () => {
      const n0 = tf.memory().numTensors;
      const x = imageToInput(tiny, resolvePreprocessing({}, [2, 2, 3]));
      assert.deepEqual([x.shape, x.dtype], [[1, 2, 2, 3], 'float32']);
      const v = x.dataSync();
      for (let i = 0; i < 12; i++) assert.ok(Math.abs(v[i] - tiny.data[i] / 255) < 1e-7);
      x.dispose();
      assert.equal(tf.memory().numTensors, n0);
      assert.throws(() => imageToInput({ ...tiny, width: 3 }, MOBILENET), isCode('INPUT_INVALID'));
      assert.throws(() => imageToInput(tiny, { ...MOBILENET, inputRange: [1, 1] }), isCode('BAD_ARGUMENT'));
    });
  });

  describe('reference input tensors (../shared/reference)', () => {
    // Exact tensors fed to the model for the reference outputs (reference/README.md "Input tensors and preprocessing").
    const cases: [string, string][] = [
      ['cat.png', 'torchray/components/input.f32'],
      ['cat_dog.png', 'torchray/runs/r5a_catdog_contrastive_top1/input.f32'],
      ['robin.jpg', 'torchray/runs/r4_robin_preserve/input.f32'],
    ];
    for (const [file, refFile] of cases) {
      test(`${file} reproduces ${refFile}`, async (t) => {
        const want = await tensorValues(await readRawInput(ref(refFile), 'nchw', [224, 224, 3]));
        const decoded = await decodeImage(img(file));
        const ours = await inputValues(decoded, MOBILENET);
        const { max, mean } = diffStats(ours, want);
        // PyTorch's resampling (half-pixel centres) for comparison: it must not match.
        const halfPixel = await tensorValues(tf.tidy(() => tf.sub(tf.div(tf.image.resizeBilinear(tf.tensor4d(Float32Array.from(decoded.data), [1, decoded.height, decoded.width, 3]), [224, 224], false, true), 127.5), 1)));
        const hp = diffStats(halfPixel, want);
        t.diagnostic(`${file}: max |ours − reference| ${max.toExponential(2)}, mean ${mean.toExponential(2)}; with half-pixel centres: max ${hp.max.toFixed(3)}, mean ${hp.mean.toFixed(4)}`);
        if (file.endsWith('.png')) {
          // Lossless source, same resize kernel, same float32 arithmetic: bit for bit.
          assert.equal(max, 0);
        } else {
          // jpeg-js vs libjpeg-turbo differ by up to 3 grey levels, 0.5 on average (reference README).
          assert.ok(max <= 3.5 / 127.5 && mean < 1 / 127.5, `max ${max}, mean ${mean}`);
        }
        // (cat_dog.png is already 224×224, where every resize is the identity.)
        if (decoded.width !== 224) assert.ok(hp.mean > 2 * mean + 1e-3, 'the half-pixel resize is clearly further from the reference');
      });
    }
  });

  describe('readRawInput', () => {
    test('NCHW and NHWC round trips are bit for bit', async () => {
      const [h, w, c] = [3, 5, 3];
      const nhwc = Float32Array.from({ length: h * w * c }, (_, i) => Math.fround(Math.sin(i * 12.9898) * 1e3) / 7);
      nhwc[4] = -0; nhwc[5] = 1.4e-45; // signed zero and a subnormal survive too
      const nchw = new Float32Array(nhwc.length);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) nchw[(k * h + y) * w + x] = nhwc[(y * w + x) * c + k];
      const fileNchw = path.join(tmp, 'x.nchw.f32'), fileNhwc = path.join(tmp, 'x.nhwc.f32');
      writeFileSync(fileNchw, toLittleEndian(nchw));
      writeFileSync(fileNhwc, toLittleEndian(nhwc));
      for (const [file, layout] of [[fileNchw, 'nchw'], [fileNhwc, 'nhwc']] as const) {
        const n0 = tf.memory().numTensors;
        const t = await readRawInput(file, layout, [h, w, c]);
        assert.deepEqual([t.shape, t.dtype], [[1, h, w, c], 'float32']);
        const got = await tensorValues(t);
        assert.equal(tf.memory().numTensors, n0);
        assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(nhwc.buffer), layout);
      }
    });

    test('wrong size, missing file and NaN are clear errors', async () => {
      const e = await rejects(readRawInput(ref('torchray/components/input.f32'), 'nchw', [224, 224, 1]), 'INPUT_INVALID');
      assert.match(e.message, /602112 bytes/); // got: 224·224·3·4
      assert.match(e.message, /200704 bytes/); // expected: 224·224·1·4
      await rejects(readRawInput(path.join(tmp, 'nope.f32'), 'nhwc', [2, 2, 3]), 'IMAGE_NOT_FOUND');
      const nan = path.join(tmp, 'nan.f32');
      writeFileSync(nan, toLittleEndian(Float32Array.from([0, 1, NaN, 3])));
      await rejects(readRawInput(nan, 'nhwc', [1, 1, 4]), 'INPUT_INVALID');
      await rejects(readRawInput(nan, 'nhwc', [1, 0, 4]), 'BAD_ARGUMENT');
    });
  });

  describe('resolvePreprocessing', () => {
    test('fills defaults from the model', () => {
      assert.deepEqual(resolvePreprocessing(undefined, [224, 224, 3]), { height: 224, width: 224, channels: 'rgb', inputRange: [0, 1] });
      assert.deepEqual(resolvePreprocessing({ inputRange: [-1, 1] }, [128, 160, 3]), { height: 128, width: 160, channels: 'rgb', inputRange: [-1, 1] });
      assert.deepEqual(resolvePreprocessing({ channels: 'bgr', mean: [0.4, 0.5, 0.6] }, [-1, -1, 3]),
        { height: 224, width: 224, channels: 'bgr', mean: [0.4, 0.5, 0.6], std: [1, 1, 1] });
      assert.deepEqual(resolvePreprocessing({ height: 300, width: 200 }, [0, 0, 3]).height, 300);
    });

    test('rejects bad descriptions with BAD_ARGUMENT', () => {
      const bad: [Partial<Preprocessing>, number[], RegExp][] = [
        [{ inputRange: [1, 1] }, [224, 224, 3], /lo < hi/],
        [{ inputRange: [2, -1] }, [224, 224, 3], /lo < hi/],
        [{ inputRange: [0] as unknown as [number, number] }, [224, 224, 3], /two finite numbers/],
        [{ std: [0.2, 0, 0.2] }, [224, 224, 3], /positive/],
        [{ mean: [0.5, 0.5] as unknown as [number, number, number] }, [224, 224, 3], /three finite numbers/],
        [{ mean: [0.5, 0.5, NaN] }, [224, 224, 3], /three finite numbers/],
        [{ inputRange: [0, 1], mean: [0.5, 0.5, 0.5] }, [224, 224, 3], /not both/],
        [{ height: 256 }, [224, 224, 3], /model's input height is 224/],
        [{ width: 2.5 }, [-1, -1, 3], /integer/],
        [{ channels: 'rgba' as 'rgb' }, [224, 224, 3], /'rgb' or 'bgr'/],
        [{}, [28, 28, 1], /1 input channels/],
        [{}, [224, 224], /\[H, W, C\]/],
      ];
      for (const [p, shape, why] of bad)
        assert.throws(() => resolvePreprocessing(p, shape), (e: unknown) => isCode('BAD_ARGUMENT')(e) && why.test((e as Error).message), JSON.stringify(p));
    });
  });
}

// ---------------------------------------------------------------------------------------------------- helpers

async function inputValues(d: DecodedImage, pre: Preprocessing): Promise<Float32Array> {
  return tensorValues(imageToInput(d, pre));
}

async function tensorValues(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.length };
}

const meanAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => diffStats(a, b).mean;

function assertNear(got: number[], want: number[], tol: number): void {
  assert.equal(got.length, want.length);
  assert.ok(got.every((g, i) => Math.abs(g - want[i]) <= tol), `got [${got}] want [${want.map((v) => +v.toFixed(2))}] ±${tol}`);
}

function isGray(d: DecodedImage): boolean {
  for (let i = 0; i < d.data.length; i += 3) if (d.data[i] !== d.data[i + 1] || d.data[i] !== d.data[i + 2]) return false;
  return true;
}

function transform(d: DecodedImage, w: number, h: number, src: (x: number, y: number) => number): DecodedImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(d.data.subarray(3 * src(x, y), 3 * src(x, y) + 3), 3 * (y * w + x));
  return { ...d, data, width: w, height: h };
}
/** Undoes EXIF orientation 6 (the displayed image turned back 90° counter-clockwise). */
const rotate90ccw = (d: DecodedImage) => transform(d, d.height, d.width, (x, y) => x * d.width + (d.width - 1 - y));
const rotate180 = (d: DecodedImage) => transform(d, d.width, d.height, (x, y) => (d.height - 1 - y) * d.width + (d.width - 1 - x));

function isCode(code: string) {
  return (e: unknown) => e instanceof EngineError && e.code === code;
}

async function rejects(p: Promise<unknown>, code: string): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isCode(code)(e), `expected ${code}, got ${e instanceof EngineError ? e.code : ''} ${(e as Error).message}`);
    return e as EngineError;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

function toLittleEndian(a: Float32Array): Buffer {
  const b = Buffer.alloc(a.length * 4);
  a.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return b;
}

/** An N×N image of 8×8 flat blocks: block (bx, by) is RGB (32·bx, 32·by, bx+by odd ? 200 : 40). Made by sharp in a child. */
function generateBlocks(file: string, n: number): void {
  const script = `
    const sharp = require('sharp');
    const raw = Buffer.alloc(8 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) raw.set([x * 32, y * 32, (x + y) % 2 ? 200 : 40], 3 * (y * 8 + x));
    const p = sharp(raw, { raw: { width: 8, height: 8, channels: 3 } }).resize(${n}, ${n}, { kernel: 'nearest' });
    (${JSON.stringify(file)}.endsWith('.png') ? p.png({ compressionLevel: 1 }) : p.jpeg({ quality: 90 })).toFile(${JSON.stringify(file)})
      .catch((e) => { console.error(e); process.exit(1); });`;
  execFileSync(process.execPath, ['-e', script], { cwd: process.cwd() });
}

// A minimal PNG reader and writer (non-interlaced, 8/16-bit gray, gray+alpha, RGB, RGBA), independent of sharp.
interface Png { width: number; height: number; bitDepth: number; channels: number; samples: Uint16Array }
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

function readPng(file: string): Png {
  const buf = readFileSync(file);
  let pos = 8, width = 0, height = 0, bitDepth = 0, colorType = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('latin1', pos + 4, pos + 8), body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      [width, height, bitDepth, colorType] = [body.readUInt32BE(0), body.readUInt32BE(4), body[8], body[9]];
      assert.equal(body[12], 0, 'interlaced PNGs are not supported by this test reader');
    }
    if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const channels = CHANNELS[colorType], bpp = (channels * bitDepth) / 8, stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat)), bytes = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? bytes[y * stride + i - bpp] : 0, b = y > 0 ? bytes[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? bytes[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      bytes[y * stride + i] = (line[i] + pred) & 255;
    }
  }
  const samples = new Uint16Array(width * height * channels);
  for (let i = 0; i < samples.length; i++) samples[i] = bitDepth === 16 ? bytes.readUInt16BE(2 * i) : bytes[i];
  return { width, height, bitDepth, channels, samples };
}

function encodePng(width: number, height: number, colorType: number, bitDepth: number, pixels: Buffer): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4), crc = Buffer.alloc(4), tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
    len.writeUInt32BE(body.length);
    crc.writeUInt32BE(crc32(tb));
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth; ihdr[9] = colorType;
  const stride = (width * CHANNELS[colorType] * bitDepth) / 8;
  const rows = Math.min(height, Math.floor(pixels.length / stride)) || 1;
  const raw = Buffer.alloc(rows * (stride + 1));
  for (let y = 0; y < rows; y++) pixels.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
