// Renders an attribution map over the image the model saw, as a PNG: the image dimmed where the map is low and
// tinted by the colour map where it is high, so the evidence stands out while the picture stays readable.
import sharp from 'sharp';
import { inferno, normalise } from './colormap';

export interface RgbImage { width: number; height: number; rgb: Uint8Array; }

export function overlayPixels(image: RgbImage, map: { width: number; height: number; data: Float32Array }, alpha = 0.6): Uint8Array {
  if (map.width !== image.width || map.height !== image.height)
    throw new Error(`map ${map.width}×${map.height} does not match image ${image.width}×${image.height}`);
  const v = normalise(map.data);
  const out = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < v.length; i++) {
    const c = inferno(v[i]);
    const a = alpha * (0.25 + 0.75 * v[i]);
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round(image.rgb[i * 3 + k] * (1 - a) + c[k] * a);
  }
  return out;
}

export async function overlayPng(image: RgbImage, map: { width: number; height: number; data: Float32Array }): Promise<Buffer> {
  const px = overlayPixels(image, map);
  return sharp(Buffer.from(px.buffer, px.byteOffset, px.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}

export async function rgbPng(image: RgbImage): Promise<Buffer> {
  return sharp(Buffer.from(image.rgb.buffer, image.rgb.byteOffset, image.rgb.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
}
