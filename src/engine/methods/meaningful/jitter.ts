// Jitter of meaningful perturbation (METHODS.md §2.6): the image (and its null image) is enlarged by J pixels once,
// and each iteration an H×W crop is taken at a seeded random offset in {0…J−1}², so the image moves under the mask.
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../../datasets/seededRandom';

/** [dy, dx] offset of the crop; [0, 0] when jitter is off. */
export type JitterOffset = readonly [number, number];

/** Resizes NHWC [N, H, W, C] to [N, H+J, W+J, C]: bilinear with half-pixel centres (PyTorch align_corners=False, §0.4). */
export function enlargeForJitter(x: tf.Tensor4D, jitter: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (jitter === 0) return x.clone();
  return tf.tidy(() => tf.image.resizeBilinear(x, [h + jitter, w + jitter], false, true));
}

/** The H×W window of an enlarged batch at `offset`. */
export function cropAt(enlarged: tf.Tensor4D, offset: JitterOffset, height: number, width: number): tf.Tensor4D {
  return tf.slice(enlarged, [0, offset[0], offset[1], 0], [-1, height, width, -1]);
}

/** MP-caffe draws each offset uniformly in {0, …, jitter − 1} (`randint(0, jitter)`). */
export function drawOffset(rng: SeededRandom, jitter: number): JitterOffset {
  return jitter === 0 ? [0, 0] : [rng.int(jitter), rng.int(jitter)];
}
