// The perturbation pyramid of extremal perturbation (METHODS.md §1.3): L increasingly perturbed copies of the
// input, built once per image, and the per-pixel level interpolation that turns a mask into a perturbed image.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';
import { imsmooth } from './gaussianSmoothing';

export type PerturbationKind = 'blur' | 'fade';

/** TorchRay's `Perturbation` default; `extremal_perturbation` cannot change it (§1.2). */
export const DEFAULT_MAX_BLUR = 20;

/** `torch.linspace(0, 1, L)` in float32: s_l = l/(L−1). */
export function pyramidFractions(numLevels: number): number[] {
  return Array.from({ length: numLevels }, (_, l) => Math.fround(l / (numLevels - 1)));
}

/** Blur σ of each level: (1 − s_l)·max_blur in float32 (20, 17.142857, …, 0 for the defaults). */
export function pyramidSigmas(numLevels: number, maxBlur = DEFAULT_MAX_BLUR): number[] {
  return pyramidFractions(numLevels).map((s) => Math.fround(Math.fround(1 - s) * maxBlur));
}

/**
 * Builds the pyramid `Y` [L, H, W, C] from one NHWC image [1, H, W, C] (§1.3). Level 0 is the most perturbed
 * (σ = max_blur, or zero for fade), level L−1 is the input itself. Blur pads with zeros in input space, as TorchRay.
 */
export function buildPyramid(
  input: tf.Tensor4D, kind: PerturbationKind, numLevels: number, maxBlur = DEFAULT_MAX_BLUR,
): tf.Tensor4D {
  if (input.shape[0] !== 1) throw new EngineError('INPUT_INVALID', `the pyramid needs one image, got a batch of ${input.shape[0]}`);
  if (!Number.isInteger(numLevels) || numLevels < 2) throw new EngineError('BAD_ARGUMENT', `numLevels must be an integer ≥ 2, got ${numLevels}`);
  return tf.tidy(() => {
    const levels = kind === 'blur'
      ? pyramidSigmas(numLevels, maxBlur).map((sigma) => imsmooth(input, sigma, 'constant'))
      : pyramidFractions(numLevels).map((s) => tf.mul(input, s));
    return tf.concat(levels, 0) as tf.Tensor4D;
  });
}

/**
 * Perturbed images [K, H, W, C] for masks [K, H, W, 1] with values in [0, 1] (§1.3):
 * `w = m·(L−1)`, `k = ⌊w⌋`, `out = (1 − (w−k))·Y[k] + (w−k)·Y[min(k+1, L−1)]`.
 * The gradient w.r.t. the mask is `(L−1)·Σ_c dy·(Y[k+1] − Y[k])` with k held constant, i.e. the reference's
 * right derivative at level boundaries (0 at m = 1, `(L−1)(Y[1] − Y[0])` at m = 0; §0.7). A custom gradient keeps
 * the integer level selection off the tape.
 */
export function applyPyramid(pyramid: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  const [numLevels, h, w, c] = pyramid.shape;
  const [k, mh, mw, mc] = mask.shape;
  if (mh !== h || mw !== w || mc !== 1) {
    throw new EngineError('INTERNAL', `mask [${mask.shape}] does not match pyramid [${pyramid.shape}]`);
  }
  const pixels = h * w;
  const apply = tf.customGrad<tf.Tensor4D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const m = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const scaled = tf.mul(m, numLevels - 1);
    const level = tf.floor(scaled);
    const frac = tf.sub(scaled, level);
    // Row index into the pyramid flattened to [L·H·W, C]: level·H·W + pixel (exact in float32 below 2^24).
    const pixelIndex = tf.range(0, pixels).reshape([1, pixels]);
    const lo = level.reshape([k, pixels]);
    const hi = tf.minimum(tf.add(lo, 1), numLevels - 1);
    const rows = (l: tf.Tensor) => tf.cast(tf.add(tf.mul(l, pixels), pixelIndex), 'int32').reshape([-1]);
    const flat = pyramid.reshape([numLevels * pixels, c]);
    const y0 = tf.gather(flat, rows(lo)).reshape([k, h, w, c]);
    const y1 = tf.gather(flat, rows(hi)).reshape([k, h, w, c]);
    save([y0, y1]);
    // Same arithmetic as TorchRay: (1 − w)·y0 + w·y1.
    const value = tf.add(tf.mul(tf.sub(1, frac), y0), tf.mul(frac, y1)) as tf.Tensor4D;
    return {
      value,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        tf.mul(tf.sum(tf.mul(dy, tf.sub(saved[1], saved[0])), 3, true), numLevels - 1),
    };
  });
  return apply(mask);
}
