// Decoded RGB pixels → the model's input tensor, exactly as the verified predictions in ../shared/images/README.md
// were made: plain bilinear stretch with tf.image.resizeBilinear defaults, then a per-model linear map (METHODS.md §0.3).
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../errors';
import type { Preprocessing } from '../model/modelTypes';
import type { DecodedImage } from './decodeImage';
import { resolvePreprocessing } from './resolvePreprocessing';

export { resolvePreprocessing } from './resolvePreprocessing';
export { readRawInput } from './readRawInput';

/**
 * @returns NHWC float32 [1, pre.height, pre.width, 3] in the model's input space.
 * No crop and no aspect-ratio padding: the image is stretched, as for the shared model's reference numbers.
 */
export function imageToInput(img: DecodedImage, pre: Preprocessing): tf.Tensor4D {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height * 3)
    throw new EngineError('INPUT_INVALID', `Decoded image is inconsistent: ${width}×${height}×3 needs ${width * height * 3} bytes, got ${data.length}.`);
  // Validates every field (the size must equal itself, so the model shape passed is the requested one).
  const p = resolvePreprocessing(pre, [pre.height, pre.width, 3]);

  return tf.tidy(() => {
    const pixels = tf.tensor4d(Float32Array.from(data), [1, height, width, 3]);
    // Defaults alignCorners=false, halfPixelCenters=false (source = dst·in/out): what the reference inputs used,
    // not PyTorch's half-pixel mode (METHODS.md §0.4). No antialiasing; decodeImage has already bounded the size.
    let x: tf.Tensor4D = tf.image.resizeBilinear(pixels, [p.height, p.width]);
    if (p.channels === 'bgr') x = tf.reverse(x, -1);
    if (p.mean && p.std) {
      // mean/std are given in the model's channel order, so they apply after the reordering above.
      return tf.div(tf.sub(tf.div(x, 255), tf.tensor1d(p.mean)), tf.tensor1d(p.std));
    }
    // Dividing by 255/(hi−lo) rather than multiplying by its inverse reproduces `x / 127.5 − 1` bit for bit
    // for the [−1, 1] models (the reference inputs were computed that way in float32).
    const [lo, hi] = p.inputRange ?? [0, 1];
    return tf.add(tf.div(x, 255 / (hi - lo)), lo);
  });
}
