// Cell vectors of a layer's activations (METHODS.md §6.1), in TensorFlow.js: the normalisation done once per
// request, and the direct cosine formula the tests compare the fast per-hover path (cosineKernel.ts) against.
import * as tf from '@tensorflow/tfjs-core';
import type { Cell } from './cosineKernel';

/** The reference's ε: added to each norm, so an all-zero cell (a dead ReLU region) has similarity 0, not NaN. */
export const NORM_EPSILON = 1e-4;

/** F̂ = F / (‖F‖ + 1e−4) along the channel axis of NHWC activations [N, h, w, D]. */
export function normaliseCells(acts: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(acts, tf.add(tf.norm(acts, 'euclidean', -1, true), NORM_EPSILON)));
}

/**
 * S[b, y, x] = (F_a[i,j] · F_b[y,x]) / ((‖F_a[i,j]‖ + 1e−4)(‖F_b[y,x]‖ + 1e−4)) for the probe a,(i,j), straight from
 * the raw activations [N, h, w, D], as METHODS §6.1 writes it. Returns [N, h, w].
 */
export function directCosineMaps(acts: tf.Tensor4D, probe: Cell): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, d] = acts.shape;
    const p = tf.reshape(tf.slice(acts, [probe.image, probe.row, probe.col, 0], [1, 1, 1, d]), [d, 1]);
    const flat = tf.reshape(acts, [n * h * w, d]);
    const dots = tf.matMul(flat, p); // [cells, 1]
    const norms = tf.add(tf.norm(flat, 'euclidean', -1, true), NORM_EPSILON);
    const pNorm = tf.add(tf.norm(p), NORM_EPSILON);
    return tf.reshape(tf.div(dots, tf.mul(norms, pNorm)), [n, h, w]);
  });
}
