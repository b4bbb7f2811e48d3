// PNG encoding for the dataset writers (sharp, native libvips: fast enough for thousands of small files).
import sharp from 'sharp';

/** Writes interleaved RGB bytes (row-major, width×height×3) as an 8-bit RGB PNG. */
export async function writeRgbPng(file: string, rgb: Uint8Array, width: number, height: number): Promise<void> {
  if (rgb.length !== width * height * 3)
    throw new RangeError(`RGB buffer has ${rgb.length} bytes, expected ${width}×${height}×3 = ${width * height * 3}`);
  await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.length), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toFile(file);
}

/** Broden label image: label number n stored as R = n mod 256, G = ⌊n / 256⌋, B = 0 (METHODS.md §5.1). */
export function encodeLabelPixels(labels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const n = labels[i];
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RangeError(`label number ${n} does not fit in R + 256·G`);
    out[i * 3] = n & 0xff;
    out[i * 3 + 1] = n >> 8;
  }
  return out;
}

/** Inverse of encodeLabelPixels for interleaved RGB(A) bytes with `channels` channels per pixel. */
export function decodeLabelPixels(pixels: Uint8Array, channels: number): Uint16Array {
  const n = pixels.length / channels;
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = pixels[i * channels] + 256 * pixels[i * channels + 1];
  return out;
}
