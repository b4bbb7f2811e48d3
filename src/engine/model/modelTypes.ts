// What every loaded model exposes to the methods, whatever its format (TF.js layers, TF.js graph, ONNX later).
// Tensors are NHWC float32 in the model's own input space (already preprocessed).
import type * as tf from '@tensorflow/tfjs-core';

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
   * Activations of the named layers plus the logits, in one pass. Used by Grad-CAM, probing and similarity:
   * the returned tensors stay on the tape, so gradients flow through them.
   */
  forwardWithActivations(x: tf.Tensor4D, layers: string[]): { logits: tf.Tensor2D; activations: Record<string, tf.Tensor> };
  /** Runs the rest of the network from a named layer's activation to the logits (Grad-CAM, linear approx). */
  logitsFromLayer?(layer: string, activation: tf.Tensor): tf.Tensor2D;
  dispose(): void;
}
