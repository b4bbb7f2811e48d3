// The smooth-max mask generator of extremal perturbation (METHODS.md §1.4, TorchRay `MaskGenerator`):
// parameters on a coarse grid → a smooth maximum of flat-topped bumps → full mask (with margin) and cropped mask.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';

/** Smooth-max temperature inverse, fixed in TorchRay (the paper's T = 1/20). */
export const COLDNESS = 20;

export interface MaskGeometry {
  /** Target (input) height and width. */
  shape: [number, number];
  step: number;
  sigma: number;
  margin: number;
  padding: number;
  radius: number;
  /** Window side R = 2·radius + 1; R² taps per pixel. */
  window: number;
  shapeIn: [number, number];
  shapeMid: [number, number];
  shapeUp: [number, number];
  shapeOut: [number, number];
  /** Where the cropped mask starts inside the full mask: round(margin). */
  cropOffset: number;
}

/** The reference's derived sizes for an H×W input (§1.4 table). */
export function maskGeometry(height: number, width: number, step: number, sigma: number): MaskGeometry {
  if (!Number.isInteger(step) || step < 1) throw new EngineError('BAD_ARGUMENT', `step must be a positive integer, got ${step}`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new EngineError('BAD_ARGUMENT', `sigma must be > 0, got ${sigma}`);
  const margin = sigma;
  const padding = 1 + Math.ceil((margin + sigma) / step);
  const radius = 1 + Math.ceil(sigma / step);
  const window = 2 * radius + 1;
  const shapeIn: [number, number] = [Math.ceil(height / step), Math.ceil(width / step)];
  const shapeMid = shapeIn.map((z) => z + 2 * padding - window + 1) as [number, number];
  const shapeUp = shapeMid.map((z) => z * step) as [number, number];
  const shapeOut = shapeUp.map((z) => z - step + 1) as [number, number];
  // Python's round() is banker's rounding; margins are whole pixels in practice, so only .5 ties differ.
  const cropOffset = Math.abs(margin % 1) === 0.5 ? 2 * Math.round(margin / 2) : Math.round(margin);
  return { shape: [height, width], step, sigma, margin, padding, radius, window, shapeIn, shapeMid, shapeUp, shapeOut, cropOffset };
}

/**
 * Source cell of each upsampled row/column, as PyTorch's nearest interpolation computes it in float32:
 * `⌊u · float32(mid/up)⌋`. For an integer factor this is ⌊u/step⌋ (checked by `MaskGenerator`).
 */
function nearestSource(mid: number, up: number, out: number): Int32Array {
  const scale = Math.fround(Math.fround(mid) / Math.fround(up));
  const src = new Int32Array(out);
  for (let u = 0; u < out; u++) src[u] = Math.min(Math.floor(Math.fround(u * scale)), mid - 1);
  return src;
}

/** Bump profile g(z) = exp(−2·max(0, z − 0.5)²), z = distance/σ (§1.4), in float32 steps like the reference. */
function bump(z: number): number {
  const d = Math.max(0, Math.fround(z - 0.5));
  return Math.fround(Math.exp(Math.fround(-2 * Math.fround(d * d))));
}

/**
 * Precomputed weights `Wt[y, x, k]` (NHWC, [1, H', W', R²]): the bump of tap k = ky·R + kx evaluated at full-mask
 * pixel (y, x), centred on parameter cell (⌊y/s⌋ + ky − padding, ⌊x/s⌋ + kx − padding).
 */
export function generatorWeights(g: MaskGeometry): Float32Array {
  const [outH, outW] = g.shapeOut;
  const rowSrc = nearestSource(g.shapeMid[0], g.shapeUp[0], outH);
  const colSrc = nearestSource(g.shapeMid[1], g.shapeUp[1], outW);
  const taps = g.window * g.window;
  const weights = new Float32Array(outH * outW * taps);
  const margin = Math.fround(g.margin);
  const sigma = Math.fround(g.sigma);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const base = (y * outW + x) * taps;
      for (let ky = 0; ky < g.window; ky++) {
        const cy = Math.fround(margin + g.step * (rowSrc[y] + ky - g.padding));
        const dy = Math.fround(y - cy);
        for (let kx = 0; kx < g.window; kx++) {
          const cx = Math.fround(margin + g.step * (colSrc[x] + kx - g.padding));
          const dx = Math.fround(x - cx);
          const dist = Math.fround(Math.sqrt(Math.fround(Math.fround(dy * dy) + Math.fround(dx * dx))));
          weights[base + ky * g.window + kx] = bump(Math.fround(dist / sigma));
        }
      }
    }
  }
  return weights;
}

export interface GeneratedMask {
  /** [K, H, W, 1]: the mask over the image. */
  cropped: tf.Tensor4D;
  /** [K, H', W', 1]: the mask including its margin (what the area constraint sees, §1.5). */
  full: tf.Tensor4D;
}

/** Mask generator for one input size; holds the weight tensor (dispose when done). */
export class MaskGenerator {
  readonly geometry: MaskGeometry;
  private readonly weights: tf.Tensor4D;
  /** One-hot [R, R, 1, R²] filter: a VALID conv with it is F.unfold (exact: one product by 1, the rest by 0). */
  private readonly unfoldFilter: tf.Tensor4D;

  constructor(height: number, width: number, step: number, sigma: number) {
    const g = maskGeometry(height, width, step, sigma);
    this.geometry = g;
    // The reference upsamples with PyTorch's float32 nearest rule; our repeat-by-step equals it iff every source
    // index is ⌊u/step⌋ (true for step 7 and all sizes we know of). Refuse silently different geometry.
    for (const axis of [0, 1]) {
      const src = nearestSource(g.shapeMid[axis], g.shapeUp[axis], g.shapeOut[axis]);
      for (let u = 0; u < src.length; u++) {
        if (src[u] !== Math.floor(u / step)) {
          throw new EngineError('BAD_ARGUMENT', `step ${step} on a ${height}×${width} input hits PyTorch's float32 nearest-index rounding; choose another step`);
        }
      }
    }
    const taps = g.window * g.window;
    this.weights = tf.tensor4d(generatorWeights(g), [1, g.shapeOut[0], g.shapeOut[1], taps]);
    const eye = new Float32Array(taps * taps);
    for (let k = 0; k < taps; k++) eye[k * taps + k] = 1;
    this.unfoldFilter = tf.tensor4d(eye, [g.window, g.window, 1, taps]);
  }

  /** The generator weights `Wt` as NHWC [1, H', W', R²]. */
  get weightTensor(): tf.Tensor4D {
    return this.weights;
  }

  /** Parameters [K, h, w, 1] (h×w = shapeIn) → cropped and full masks (§1.4 steps 1–5). Differentiable. */
  generate(params: tf.Tensor4D): GeneratedMask {
    const g = this.geometry;
    const [k, ph, pw, pc] = params.shape;
    if (ph !== g.shapeIn[0] || pw !== g.shapeIn[1] || pc !== 1) {
      throw new EngineError('INTERNAL', `mask parameters [${params.shape}] do not match the grid ${g.shapeIn}`);
    }
    const [midH, midW] = g.shapeMid;
    const [upH, upW] = g.shapeUp;
    const [outH, outW] = g.shapeOut;
    const taps = g.window * g.window;
    const s = g.step;
    return tf.tidy(() => {
      // 1–2. Zero-pad and unfold the R×R neighbourhoods: [K, midH, midW, R²].
      const padded = tf.pad(params, [[0, 0], [g.padding, g.padding], [g.padding, g.padding], [0, 0]]);
      const unfolded = tf.conv2d(padded, this.unfoldFilter, 1, 'valid');
      // Nearest upsampling by the integer step = repeat every row and column s times; then drop the last s−1.
      const rows = tf.broadcastTo(unfolded.reshape([k * midH, 1, midW * taps]), [k * midH, s, midW * taps]);
      const cols = tf.broadcastTo(rows.reshape([k * upH * midW, 1, taps]), [k * upH * midW, s, taps]);
      const up = cols.reshape([k, upH, upW, taps]).slice([0, 0, 0, 0], [k, outH, outW, taps]);
      const z = tf.mul(this.weights, up);
      // 3. Smooth max over all R² taps (zeros included), 4. clamp.
      const pooled = tf.sum(tf.mul(z, tf.softmax(tf.mul(z, COLDNESS))), 3, true);
      const full = tf.clipByValue(pooled, 0, 1) as tf.Tensor4D;
      // 5. Crop the image region.
      const cropped = full.slice([0, g.cropOffset, g.cropOffset, 0], [k, g.shape[0], g.shape[1], 1]);
      return { cropped, full };
    });
  }

  dispose(): void {
    this.weights.dispose();
    this.unfoldFilter.dispose();
  }
}
