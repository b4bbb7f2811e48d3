// A convolution node (bias and ReLU/ReLU6 folded in) as two kernels under a gradient tape, with an input-only
// gradient. Under a tape tfjs splits fused ops into conv, bias add and activation, and differentiates ReLU6 with five
// elementwise ops: for MobileNet 0.25 those made a third of a forward+backward pass. The input gradient is what every
// attribution method needs; filter and bias gradients are never taken here.
//
// The forward is the unfused conv, then bias and activation in one pass, bit for bit tfjs's split path. XNNPACK's own
// fused conv (bias in the accumulator) was 1 ms faster but rounds differently, and this network's input gradient is
// so sensitive to the ReLU kinks that one ulp moved it by 3e-3 rel-L2, away from the reference's (extremalTrace).
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap } from '@tensorflow/tfjs-core';

/** The activations this path handles: their gradient is a 0/1 mask of the output. */
export type MaskActivation = 'linear' | 'relu' | 'relu6';

export interface ConvNodeSpec {
  depthwise: boolean;
  filter: tf.Tensor4D;
  bias: tf.Tensor | null;
  strides: [number, number];
  pad: 'same' | 'valid';
  dilations: [number, number];
  activation: MaskActivation;
}

/** Kernel computing dy·[lo < y < hi] from an activation's output (registered for wasm in wasmGradKernels.ts). */
export const ACTIVATION_MASK_GRAD = 'CnnLensActivationMaskGrad';
/** Kernel computing clamp(z + bias, lo, hi) over the last axis (registered for wasm in wasmGradKernels.ts). */
export const BIAS_CLAMP = 'CnnLensBiasClamp';

const bounds = (activation: MaskActivation): { lo: number; hi: number } =>
  activation === 'linear' ? { lo: -Infinity, hi: Infinity } : { lo: 0, hi: activation === 'relu6' ? 6 : Infinity };

/** activation(z + bias) as tfjs's split path computes it (a float32 add, then the clamp). */
export function biasActivation(z: tf.Tensor4D, bias: tf.Tensor | null, activation: MaskActivation): tf.Tensor4D {
  const channels = z.shape[3];
  if (bias && channels % 4 === 0 && tf.getKernel(BIAS_CLAMP, tf.getBackend()))
    return tf.engine().runKernel(BIAS_CLAMP, { z, bias } as NamedTensorMap, bounds(activation) as unknown as NamedAttrMap) as tf.Tensor4D;
  const pre = bias ? tf.add(z, bias) : z;
  return (activation === 'relu6' ? tf.relu6(pre) : activation === 'relu' ? tf.relu(pre) : pre) as tf.Tensor4D;
}

/**
 * dy where lo < y < hi, else 0. That is PyTorch's hardtanh/ReLU backward (strict at both ends) and tfjs's Relu/Relu6
 * gradients (registerRelu6Gradient), written on the output: y = clamp(z, lo, hi) keeps lo < z < hi ⇔ lo < y < hi.
 */
export function activationMaskGrad(dy: tf.Tensor, y: tf.Tensor, activation: MaskActivation): tf.Tensor {
  if (activation === 'linear') return dy;
  const hi = activation === 'relu6' ? 6 : Infinity;
  if (tf.getKernel(ACTIVATION_MASK_GRAD, tf.getBackend()))
    return tf.engine().runKernel(ACTIVATION_MASK_GRAD, { dy, y } as NamedTensorMap, { hi } as NamedAttrMap) as tf.Tensor;
  return tf.tidy(() => {
    const mask = hi === Infinity ? tf.step(y) : tf.mul(tf.step(y), tf.step(tf.sub(hi, y)));
    return tf.mul(dy, mask);
  });
}

/** x ↦ activation(conv(x) + bias), one fused kernel; its gradient flows to x only. */
export function convWithInputGrad(spec: ConvNodeSpec): (x: tf.Tensor4D) => tf.Tensor4D {
  const { depthwise, filter, bias, strides, pad, dilations, activation } = spec;
  const forward = tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
    // The same conv kernels as tfjs's split path; the tape is off inside customGrad's forward.
    const z = depthwise
      ? tf.depthwiseConv2d(x, filter, strides, pad, 'NHWC', dilations)
      : tf.conv2d(x, filter, strides, pad, 'NHWC', dilations);
    const y = biasActivation(z, bias, activation);
    save([y]);
    const inputShape = x.shape;
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, [out]: tf.Tensor[]) => {
        const dz = activationMaskGrad(dy, out, activation) as tf.Tensor4D;
        const back = { dy: dz, filter } as NamedTensorMap;
        return depthwise
          ? tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', back, { strides, pad, dilations, inputShape } as unknown as NamedAttrMap) as tf.Tensor4D
          : tf.engine().runKernel('Conv2DBackpropInput', back, { strides, pad, dataFormat: 'NHWC', inputShape } as unknown as NamedAttrMap) as tf.Tensor4D;
      },
    };
  }) as any) as (x: tf.Tensor4D) => tf.Tensor4D;
  return forward;
}
