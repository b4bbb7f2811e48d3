// Decodes an image file into 8-bit RGB pixels with sharp (libvips), ready for preprocess.ts.
// Conventions follow ../shared/images/README.md ("How the predictions were produced"): EXIF orientation applied,
// grayscale expanded to R=G=B, 16-bit samples scaled with round(v·255/65535), colour profiles ignored.
import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { EngineError } from '../errors';

/** Decoded pixels: RGB, 8 bits per sample, row-major, 3 interleaved channels (length = width·height·3). */
export interface DecodedImage {
  data: Uint8Array;
  /** Size of `data`: the displayed size, shrunk to the working size when the image is larger. */
  width: number;
  height: number;
  /** Displayed size of the file (after EXIF orientation, before any shrinking). */
  originalWidth: number;
  originalHeight: number;
  /** Container format as sharp names it: 'jpeg', 'png', 'webp', 'gif', 'tiff', 'svg', … */
  format: string;
}

export interface DecodeOptions {
  /**
   * Longest side of the returned pixels (default 2048). Larger images are shrunk on load, antialiased, so a 64 MP
   * photo never exists in memory at full size. 2048 is ≥ 4× every common CNN input (224–600 px), so the model's own
   * resize still starts from a finer grid than it needs, and the overlays shown to the user stay sharp; at 12.6 MB of
   * RGB (50 MB as a float32 tensor) it is cheap enough to keep per open image.
   */
  maxSide?: number;
  /**
   * Refuse files whose header declares more pixels than this (default 0x3FFF² = 268 402 689, sharp's own limit).
   * Shrink-on-load keeps memory bounded for JPEG, but other formats are streamed line by line through the resize, and
   * beyond this size decoding takes minutes: such files are far more likely to be hostile or broken than photos.
   */
  maxInputPixels?: number;
  /**
   * RGB that transparent pixels are flattened onto (default white). White is what a transparent PNG looks like in a
   * browser or document, and product photos — the kind of picture that comes with transparency — are shot on white.
   * Dropping alpha instead (as the reference decoder did for its opaque files) would show the model whatever colour
   * happens to be stored under invisible pixels, often black or garbage. Opaque pixels are unchanged either way.
   */
  background?: [number, number, number];
  /**
   * Convert through the embedded ICC profile to sRGB (default false). The reference predictions, PIL and the
   * ImageNet training pipelines all ignore profiles, so by default the stored values are used as they are.
   */
  applyIccProfile?: boolean;
}

export const DEFAULT_MAX_SIDE = 2048;
export const DEFAULT_MAX_INPUT_PIXELS = 0x3fff * 0x3fff;
const WHITE: [number, number, number] = [255, 255, 255];

export async function decodeImage(path: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const maxSide = opts.maxSide ?? DEFAULT_MAX_SIDE;
  const maxInputPixels = opts.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const background = opts.background ?? WHITE;
  checkOptions(maxSide, maxInputPixels, background);
  await checkFile(path);

  // 'error' rejects truncated and corrupt data but tolerates libjpeg's harmless warnings (e.g. extraneous bytes
  // before a marker), which many camera files trigger.
  const input = { failOn: 'error' as const, limitInputPixels: maxInputPixels, ignoreIcc: !opts.applyIccProfile };
  let meta: Metadata;
  try {
    // Header only; without the pixel limit so that the check below can name the size it refuses.
    meta = await sharp(path, { ...input, limitInputPixels: false }).metadata();
  } catch (e) {
    throw unreadable(path, e);
  }
  const { width: storedW, height: storedH, format } = meta;
  if (!storedW || !storedH || !format) throw new EngineError('IMAGE_UNREADABLE', `Cannot read image "${path}": it has no readable size.`);
  if (storedW * storedH > maxInputPixels) throw tooLarge(path, storedW, storedH, maxInputPixels);

  // EXIF orientations 5–8 are transposes: the displayed image is the stored one turned on its side.
  const transposed = (meta.orientation ?? 1) >= 5;
  const originalWidth = transposed ? storedH : storedW;
  const originalHeight = transposed ? storedW : storedH;
  const scale = Math.min(1, maxSide / Math.max(originalWidth, originalHeight));
  const width = Math.max(1, Math.round(originalWidth * scale));
  const height = Math.max(1, Math.round(originalHeight * scale));

  let pipeline = sharp(path, { ...input, autoOrient: true });
  // Sizes given to resize() are the displayed (oriented) ones. JPEGs are shrunk in libjpeg's DCT on load, then
  // everything is reduced with lanczos3 (antialiased), streaming, so the full-size image is never held in memory.
  if (scale < 1) pipeline = pipeline.resize(width, height, { fit: 'fill' });
  if (meta.hasAlpha) pipeline = pipeline.flatten({ background: { r: background[0], g: background[1], b: background[2] } });
  // libvips converts 16-bit to 8-bit by dropping the low byte (v >> 8): ask for the 16-bit values and round here.
  const sixteenBit = meta.depth === 'ushort';
  pipeline = sixteenBit ? pipeline.toColourspace('rgb16').raw({ depth: 'ushort' }) : pipeline.toColourspace('srgb').raw();

  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw unreadable(path, e);
  }
  const { info } = out;
  if (info.width !== width || info.height !== height)
    throw new EngineError('INTERNAL', `Decoding "${path}" gave ${info.width}×${info.height}, expected ${width}×${height}.`);
  const samples = sixteenBit ? to8Bit(out.data) : new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
  return { data: toRgb(samples, info.channels, path), width, height, originalWidth, originalHeight, format };
}

function checkOptions(maxSide: number, maxInputPixels: number, background: readonly number[]): void {
  if (!Number.isInteger(maxSide) || maxSide < 1)
    throw new EngineError('BAD_ARGUMENT', `maxSide must be a positive integer, got ${maxSide}.`);
  if (!Number.isInteger(maxInputPixels) || maxInputPixels < 1)
    throw new EngineError('BAD_ARGUMENT', `maxInputPixels must be a positive integer, got ${maxInputPixels}.`);
  if (background.length !== 3 || background.some((v) => !Number.isFinite(v) || v < 0 || v > 255))
    throw new EngineError('BAD_ARGUMENT', `background must be three values in 0–255, got [${background.join(', ')}].`);
}

/** Gives missing, empty and non-file paths their own messages before sharp sees them. */
async function checkFile(path: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new EngineError('IMAGE_NOT_FOUND', `Image not found: "${path}".`);
    throw new EngineError('IMAGE_UNREADABLE', `Cannot read image "${path}": ${(e as Error).message}`);
  }
  if (!stat.isFile()) throw new EngineError('IMAGE_UNREADABLE', `Cannot read image "${path}": it is not a file.`);
  if (stat.size === 0) throw new EngineError('IMAGE_UNREADABLE', `Cannot read image "${path}": the file is empty.`);
}

function unreadable(path: string, e: unknown): EngineError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg))
    return new EngineError('IMAGE_TOO_LARGE', `Image "${path}" is too large to decode (${msg}).`);
  let what = `it is truncated or corrupt (${msg})`;
  if (/unsupported image format/i.test(msg)) what = 'it is not an image in a format CNN Lens can read (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG)';
  else if (/EACCES|permission/i.test(msg)) what = `permission denied (${msg})`;
  return new EngineError('IMAGE_UNREADABLE', `Cannot read image "${path}": ${what}.`);
}

function tooLarge(path: string, w: number, h: number, limit: number): EngineError {
  const n = (v: number) => v.toLocaleString('en-US');
  return new EngineError('IMAGE_TOO_LARGE',
    `Image "${path}" is ${w}×${h} = ${n(w * h)} pixels, more than the limit of ${n(limit)} pixels.`);
}

let roundTable: Uint8Array | undefined;
/** round(v·255/65535), as pngjs (the reference decoder) scales 16-bit PNGs; never a tie since 65535 is odd. */
function to8Bit(buf: Buffer): Uint8Array {
  if (!roundTable) {
    roundTable = new Uint8Array(65536);
    for (let v = 0; v < 65536; v++) roundTable[v] = Math.round((v * 255) / 65535);
  }
  // Native byte order, which is what sharp writes; copy first in case the Buffer is not 2-byte aligned.
  const u16 = new Uint16Array(buf.length / 2);
  new Uint8Array(u16.buffer).set(buf);
  const out = new Uint8Array(u16.length);
  for (let i = 0; i < u16.length; i++) out[i] = roundTable[u16[i]];
  return out;
}

/** sharp already returns 3 channels after toColourspace('srgb'); this guards the contract if a format ever does not. */
function toRgb(samples: Uint8Array, channels: number, path: string): Uint8Array {
  if (channels === 3) return samples;
  if (channels !== 1) throw new EngineError('IMAGE_UNREADABLE', `Cannot read image "${path}": decoded to ${channels} channels, expected 3.`);
  const rgb = new Uint8Array(samples.length * 3);
  for (let i = 0; i < samples.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = samples[i];
  return rgb;
}
