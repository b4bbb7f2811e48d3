// Linear approximation (METHODS.md §3.6): `Σ_c A_c · ∂Φ_target/∂A_c`, signed (no ReLU, no abs).
import * as tf from '@tensorflow/tfjs-core';
import { layerMethod } from './layerSaliency';

export const linearApproximationMethod = layerMethod('linear', (a, da) => tf.sum(tf.mul(a, da), 3, true) as tf.Tensor4D);
