// Backward rules for ReLUs used by guided backprop and deconvnet (METHODS §3.3, §3.4). The forward value is the
// ordinary ReLU; only the gradient changes. ReLU6 = min(ReLU(x), 6): the clamp keeps its normal gradient.
import * as tf from '@tensorflow/tfjs-core';

export type ReluRule = 'normal' | 'guided' | 'deconvnet';

// customGrad's typing wants variadic inputs; these take one tensor.
const guided: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  // dx = dy where x ≥ 0 and dy > 0, else 0 (the x = 0 case passes, as in the reference).
  return { value: tf.relu(x), gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => tf.mul(tf.relu(dy), tf.cast(tf.greaterEqual(xs, 0), 'float32')) };
}) as any);

const deconv: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  // dx = max(dy, 0) whatever the forward input.
  value: tf.relu(x), gradFunc: (dy: tf.Tensor) => tf.relu(dy),
})) as any);

export function relu(x: tf.Tensor, rule: ReluRule): tf.Tensor {
  return rule === 'guided' ? guided(x) : rule === 'deconvnet' ? deconv(x) : tf.relu(x);
}

export function relu6(x: tf.Tensor, rule: ReluRule): tf.Tensor {
  return rule === 'normal' ? tf.relu6(x) : tf.minimum(relu(x, rule), 6);
}
