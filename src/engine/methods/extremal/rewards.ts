// Rewards and variants of extremal perturbation (METHODS.md §1.6): which batch the model sees and what is
// maximised on its logits.
import * as tf from '@tensorflow/tfjs-core';
import { applyPyramid } from './perturbationPyramid';

export type ExtremalVariant = 'preserve' | 'delete' | 'dual';
export type RewardKind = 'simple' | 'contrastive';

/** The value TorchRay writes over the target logit before taking the max of the others. */
const CONTRAST_FILL = -100;

/** Batch fed to the model: apply(m) (preserve), apply(1 − m) (delete), or both, preserved first (dual). */
export function variantBatch(pyramid: tf.Tensor4D, mask: tf.Tensor4D, variant: ExtremalVariant): tf.Tensor4D {
  return tf.tidy(() => {
    if (variant === 'preserve') return applyPyramid(pyramid, mask);
    const deleted = applyPyramid(pyramid, tf.sub(1, mask) as tf.Tensor4D);
    if (variant === 'delete') return deleted;
    return tf.concat([applyPyramid(pyramid, mask), deleted], 0);
  });
}

/** y[:, c] − max_{c' ≠ c} y[:, c'] per row, the intended contrastive score. */
function contrast(logits: tf.Tensor2D, target: number): tf.Tensor1D {
  const numClasses = logits.shape[1];
  const isTarget = tf.cast(tf.oneHot(tf.tensor1d([target], 'int32'), numClasses), 'bool');
  const others = tf.where(isTarget, tf.fill(logits.shape, CONTRAST_FILL), logits);
  return tf.sub(targetColumn(logits, target), tf.max(others, 1)) as tf.Tensor1D;
}

function targetColumn(logits: tf.Tensor2D, target: number): tf.Tensor1D {
  return logits.slice([0, target], [-1, 1]).reshape([-1]) as tf.Tensor1D;
}

/**
 * Reward per area, [K], from the logits of the variant batch ([K, C], or [2K, C] for dual).
 * Contrastive: the per-area value the reference intends; TorchRay's own per-area numbers for K > 1 are coupled by a
 * broadcasting bug but sum to the same energy (§0.9 item 7), so gradients and masks are unaffected.
 */
export function extremalReward(logits: tf.Tensor2D, target: number, variant: ExtremalVariant, kind: RewardKind): tf.Tensor1D {
  return tf.tidy(() => {
    const score = (y: tf.Tensor2D) => (kind === 'simple' ? targetColumn(y, target) : contrast(y, target));
    if (variant === 'preserve') return score(logits);
    if (variant === 'delete') return tf.neg(score(logits));
    const k = logits.shape[0] / 2;
    const preserved = logits.slice([0, 0], [k, -1]);
    const deleted = logits.slice([k, 0], [k, -1]);
    return tf.sub(score(preserved), score(deleted));
  });
}
