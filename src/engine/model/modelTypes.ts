// What every loaded model exposes to the methods, whatever its format (TF.js layers, TF.js graph, ONNX later).
// Tensors are NHWC float32 in the model's own input space (already preprocessed).
import type * as tf from '@tensorflow/tfjs-core';
import type { ReluRule } from './reluRules';
export type { ReluRule };

/** How raw pixels (0–255, RGB) become the model's input. Described, never hard-coded (issue #2). */
export interface Preprocessing {
  /** Input height and width the model expects. */
  height: number;
  width: number;
  /** Channel order the model expects: 'rgb' or 'bgr'. */
  channels: 'rgb' | 'bgr';
  /** Either a linear map of 0–255 onto [lo, hi] … */
  inputRange?: [number, number];
  /** … or (x/255 − mean)/std per channel (in the model's channel order). */
  mean?: [number, number, number];
  std?: [number, number, number];
}

export interface LayerInfo {
  name: string;
  type: string;
  /** Output shape without the batch dimension, NHWC for spatial layers. */
  outputShape: number[];
}

export interface ModelInfo {
  name: string;
  format: 'tfjs-layers' | 'tfjs-graph' | 'onnx';
  path: string;
  layers: LayerInfo[];
  inputShape: [number, number, number]; // H, W, C
  layout: 'nhwc' | 'nchw';
  numClasses: number;
  /** Name of the layer whose output is used as the class scores (pre-softmax logits). */
  scoreLayer: string;
  /** True when BatchNorm layers were folded into convolutions at load time. */
  batchNormFolded: boolean;
  parameters: number;
}

/** A model the engine can run forward and differentiate through. */
export interface EngineModel {
  readonly info: ModelInfo;
  /** Class scores (pre-softmax logits), [N, numClasses], for preprocessed NHWC input [N, H, W, C]. */
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /**
   * Values of the named layers (and `logits`, if asked for by that name) in one pass. The returned tensors stay on
   * the gradient tape. `overrides` replace a layer's value, so gradients can be taken with respect to an
   * intermediate activation (Grad-CAM, linear approximation) while every other branch still comes from `x`.
   * `rule` changes how every ReLU back-propagates (guided backprop, deconvnet; METHODS §3.3–3.4).
   */
  forward(x: tf.Tensor4D, outputs: string[], overrides?: Record<string, tf.Tensor>, rule?: ReluRule): Record<string, tf.Tensor>;
  dispose(): void;
}
