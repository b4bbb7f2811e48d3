// Grad-CAM (Selvaraju et al.; METHODS.md §3.5): `ReLU(Σ_c α_c A_c)` with `α_c = mean_{y,x} ∂Φ_target/∂A_c`.
import * as tf from '@tensorflow/tfjs-core';
import { layerMethod } from './layerSaliency';

export const gradCamMethod = layerMethod('gradcam', (a, da) =>
  tf.relu(tf.sum(tf.mul(a, tf.mean(da, [1, 2], true)), 3, true)) as tf.Tensor4D);
