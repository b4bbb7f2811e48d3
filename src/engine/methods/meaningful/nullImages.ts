// The perturbation operator of meaningful perturbation (METHODS.md §2.2): P(x; m) = m·x + (1 − m)·n, a blend of the
// image with a "null" image n where the mask deletes. Null images: the σ0 = 10 px blur of the network-resolution image
// (the reference blurs the original photo with PIL; stated difference), 0 in input space (the mean colour for
// mean-subtracted models, mid grey for [−1, 1] models, §0.3), or fresh N(0, 1) noise in input space every iteration.
// `all` stacks the three as a batch; `blur-pyramid` is TorchRay's spatially varying blur (§1.3, max blur σ0).
import * as tf from '@tensorflow/tfjs-core';
import { applyPyramid, buildPyramid } from '../extremal/perturbationPyramid';
import { cropAt, enlargeForJitter, type JitterOffset } from './jitter';
import type { NullImageKind } from './settings';
import { gaussianBlur } from './separableBlur';

/** Levels of the `blur-pyramid` option: TorchRay's default (§1.2). */
export const BLUR_PYRAMID_LEVELS = 8;

/** Names of the batch entries, in order, for each kind (used to label `scores.deleted`). */
export function nullImageNames(kind: NullImageKind): string[] {
  return kind === 'all' ? ['blur', 'constant', 'noise'] : [kind];
}

interface Prepared {
  /** The image, and per batch entry the fixed null image (blur) or null for constant / noise. */
  image: tf.Tensor4D;
  blurred?: tf.Tensor4D;
  pyramid?: tf.Tensor4D;
}

export class Perturbation {
  /** At the network resolution (no jitter) and enlarged by the jitter margin. */
  private readonly plain: Prepared;
  private readonly enlarged: Prepared;
  readonly batchSize: number;
  private readonly height: number;
  private readonly width: number;
  private readonly channels: number;

  constructor(input: tf.Tensor4D, readonly kind: NullImageKind, blurSigma: number, readonly jitter: number) {
    [, this.height, this.width, this.channels] = input.shape;
    this.batchSize = nullImageNames(kind).length;
    const image = input.clone();
    const blurred = kind === 'blur' || kind === 'all' ? gaussianBlur(input, blurSigma) : undefined;
    this.plain = { image, blurred };
    // Enlarge the image and its blur alike, so the crop moves both under the mask (§2.6).
    this.enlarged = { image: enlargeForJitter(image, jitter), blurred: blurred && enlargeForJitter(blurred, jitter) };
    if (kind === 'blur-pyramid') {
      this.plain.pyramid = buildPyramid(image, 'blur', BLUR_PYRAMID_LEVELS, blurSigma);
      this.enlarged.pyramid = buildPyramid(this.enlarged.image, 'blur', BLUR_PYRAMID_LEVELS, blurSigma);
    }
  }

  /**
   * Perturbed batch [B, H, W, C] for the upsampled mask M [1, H, W, 1] (1 = keep). `offset` selects the jittered
   * crop; `null` uses the image at network resolution without jitter (final scores). `noiseSeed` seeds the noise.
   */
  apply(mask: tf.Tensor4D, offset: JitterOffset | null, noiseSeed: number): tf.Tensor4D {
    return tf.tidy(() => {
      const src = offset === null ? this.plain : this.enlarged;
      const crop = (t: tf.Tensor4D) => (offset === null ? t : cropAt(t, offset, this.height, this.width));
      const x = crop(src.image);
      if (this.kind === 'blur-pyramid') return applyPyramid(crop(src.pyramid!), mask);
      const noise = () => tf.randomNormal([1, this.height, this.width, this.channels], 0, 1, 'float32', noiseSeed) as tf.Tensor4D;
      // n + (x − n)·M = M·x + (1 − M)·n; for n = 0 simply M·x.
      const blend = (n: tf.Tensor4D | null) => (n === null ? tf.mul(x, mask) : tf.add(n, tf.mul(tf.sub(x, n), mask))) as tf.Tensor4D;
      switch (this.kind) {
        case 'blur': return blend(crop(src.blurred!));
        case 'constant': return blend(null);
        case 'noise': return blend(noise());
        case 'all': return tf.concat([blend(crop(src.blurred!)), blend(null), blend(noise())], 0);
      }
    });
  }

  dispose(): void {
    for (const p of [this.plain, this.enlarged]) tf.dispose([p.image, p.blurred, p.pyramid].filter((t): t is tf.Tensor4D => !!t));
  }
}
