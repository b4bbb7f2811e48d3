// Zero gradients for the comparison and logic kernels TF.js leaves without one. Their outputs are piecewise
// constant, but when a comparison of an activation feeds Where (e.g. exported masks), TF.js still asks for its
// gradient and throws "gradient function not found for Greater". Registered once, only where none exists.
import * as tf from '@tensorflow/tfjs-core';

const KERNELS: [string, string[]][] = [
  ['Greater', ['a', 'b']], ['Less', ['a', 'b']], ['Equal', ['a', 'b']], ['NotEqual', ['a', 'b']], ['LessEqual', ['a', 'b']],
  ['GreaterEqual', ['a', 'b']], ['LogicalAnd', ['a', 'b']], ['LogicalOr', ['a', 'b']], ['LogicalXor', ['a', 'b']], ['LogicalNot', ['x']],
];

let done = false;
export function registerComparisonGradients(): void {
  if (done) return;
  done = true;
  for (const [kernelName, inputs] of KERNELS) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName, inputsToSave: inputs,
      gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((k, i) => [k, () => tf.zerosLike(saved[i])])),
    });
  }
}
