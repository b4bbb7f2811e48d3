// The two regularisers of meaningful perturbation, on the low-resolution parameter mask and as sums, like MP-caffe
// (METHODS.md §2.4; quirk §0.9 item 10). Their coefficients are tuned for sums over a 28×28 grid.
import * as tf from '@tensorflow/tfjs-core';

/** λ1·Σ_u |m(u) − 1|: the deleted area. Its gradient is λ1·sign(m − 1), with sign(0) = 0 as in the reference. */
export function l1Term(m: tf.Tensor2D, coeff: number): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.sum(tf.abs(tf.sub(m, 1))), coeff));
}

/**
 * Added to d_y² + d_x² only when β < 2, where s^{β/2} has an infinite derivative at s = 0 (§2.4 suggests the same
 * guard). For β ≥ 2 the exact value is kept: the derivative β/2·s^{β/2−1}·2d is finite (0 or d) at d = 0.
 */
const TV_EPSILON = 1e-10;

/**
 * λ2·Σ_u (d_y(u)² + d_x(u)²)^{β/2}, with forward differences d_y(u) = m(u + e_y) − m(u) on rows 0…h−2 and 0 on the
 * last row, d_x likewise on columns: the isotropic total variation of MP-caffe and MP-torch.
 */
export function tvTerm(m: tf.Tensor2D, coeff: number, beta: number): tf.Scalar {
  const [h, w] = m.shape;
  return tf.tidy(() => {
    const dy = h > 1 ? tf.pad(tf.sub(m.slice([1, 0], [h - 1, w]), m.slice([0, 0], [h - 1, w])), [[0, 1], [0, 0]]) : tf.zerosLike(m);
    const dx = w > 1 ? tf.pad(tf.sub(m.slice([0, 1], [h, w - 1]), m.slice([0, 0], [h, w - 1])), [[0, 0], [0, 1]]) : tf.zerosLike(m);
    let s: tf.Tensor = tf.add(tf.square(dy), tf.square(dx));
    if (beta < 2) s = tf.add(s, TV_EPSILON);
    const v = beta === 2 ? s : tf.pow(s, beta / 2);
    return tf.mul(tf.sum(v), coeff);
  });
}
