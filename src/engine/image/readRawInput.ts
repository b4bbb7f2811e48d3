// Reads one already-preprocessed image stored as raw little-endian float32 (no header), e.g. the reference
// input.f32 files in ../shared/reference, so that a model can be fed exactly the tensor another framework saw.
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';

/**
 * @param layout how the file is ordered: 'nchw' = [1, C, H, W] (PyTorch), 'nhwc' = [1, H, W, C].
 * @param shape [H, W, C] of the image, whatever the file's layout.
 * @returns the values bit for bit, as NHWC [1, H, W, C] float32 (transposed from NCHW when asked; METHODS.md §0.2).
 */
export async function readRawInput(path: string, layout: 'nchw' | 'nhwc', shape: readonly [number, number, number]): Promise<tf.Tensor4D> {
  if (layout !== 'nchw' && layout !== 'nhwc') throw new EngineError('BAD_ARGUMENT', `Raw input layout must be 'nchw' or 'nhwc', got ${JSON.stringify(layout)}.`);
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1))
    throw new EngineError('BAD_ARGUMENT', `Raw input shape must be [H, W, C] positive integers, got ${JSON.stringify(shape)}.`);
  const [h, w, c] = shape;

  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new EngineError('IMAGE_NOT_FOUND', `Raw input file not found: "${path}".`);
    throw new EngineError('IMAGE_UNREADABLE', `Cannot read raw input "${path}": ${(e as Error).message}`);
  }

  const numel = h * w * c;
  const fileShape = layout === 'nchw' ? `[1, ${c}, ${h}, ${w}]` : `[1, ${h}, ${w}, ${c}]`;
  if (buf.length !== numel * 4) {
    let hint = '';
    if (buf.subarray(0, 6).toString('latin1') === '\x93NUMPY') hint = ' It looks like a .npy file: save the array with tofile() (no header) instead.';
    else if (buf.length === numel * 8) hint = ' That is the size of float64 data: convert to float32 first.';
    throw new EngineError('INPUT_INVALID',
      `Raw input "${path}" has ${buf.length} bytes; a ${layout.toUpperCase()} float32 tensor ${fileShape} needs ${numel * 4} bytes.${hint}`);
  }

  const values = new Float32Array(numel);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < numel; i++) values[i] = view.getFloat32(4 * i, true);
  const firstBad = values.findIndex((v) => !Number.isFinite(v));
  if (firstBad >= 0) throw new EngineError('INPUT_INVALID', `Raw input "${path}" contains ${values[firstBad]} at element ${firstBad}.`);

  if (layout === 'nhwc') return tf.tensor4d(values, [1, h, w, c], 'float32');
  return tf.tidy(() => tf.transpose(tf.tensor4d(values, [1, c, h, w], 'float32'), [0, 2, 3, 1]));
}
