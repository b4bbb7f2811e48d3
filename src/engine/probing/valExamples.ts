// A few validation images of a concept with the segmentation probe's predicted mask (M > 0.5, METHODS.md §5.5) and
// the true mask L_c, so a viewer can show what the set IoU summarises. Addition to the probe result for the
// Concepts panel; the first images of the val split in dataset order (not the best ones: an honest sample).
import * as tf from '@tensorflow/tfjs-core';
import { encodeRle, type MaskRle } from './maskRle';
import type { ProbeImage } from './probeDataset';
import type { ProbeSamples } from './probeSamples';
import { logitsOf } from './segmentationProbe';

export const VAL_EXAMPLES = 4;

export interface ProbeExample {
  /** The image as the dataset lists it, and its absolute path. */
  image: string;
  file: string;
  /** This image's IoU of the predicted against the true mask. */
  iou: number;
  /** Both at the label size sh×sw. */
  predicted: MaskRle;
  truth: MaskRle;
}

/** `val` holds the val images containing the concept, in the order of `images`; the first `count` are used. */
export function valExamples(val: ProbeSamples, probe: { weights: Float32Array; bias: number }, images: ProbeImage[], count = VAL_EXAMPLES): ProbeExample[] {
  const n = Math.min(count, val.n, images.length);
  if (n <= 0 || !val.targets) return [];
  const { h, w, k, sh, sw } = val;
  const p = sh * sw;
  const x = tf.tensor4d(Float32Array.from(val.binary.subarray(0, n * h * w * k)), [n, h, w, k]);
  const on = tf.tidy(() => tf.cast(tf.greater(logitsOf(x, tf.tensor1d(probe.weights), tf.scalar(probe.bias), sh, sw), 0), 'int32'));
  const predicted = on.dataSync();
  tf.dispose([x, on]);
  const out: ProbeExample[] = [];
  for (let i = 0; i < n; i++) {
    const m = predicted.subarray(i * p, (i + 1) * p);
    const t = val.targets.subarray(i * p, (i + 1) * p);
    let inter = 0, union = 0;
    for (let j = 0; j < p; j++) { if (m[j] && t[j]) inter++; if (m[j] || t[j]) union++; }
    out.push({ image: images[i].id, file: images[i].file, iou: inter / (union + 1e-20), predicted: encodeRle(m, sw, sh), truth: encodeRle(t, sw, sh) });
  }
  return out;
}
