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
 * `⌊u · float32(mid/up)⌋` (for step 7 this equals ⌊u/7⌋ for every u, METHODS §1.4).
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

/**
 * Mask generator for one input size and (step, sigma).
 *
 * The reference materialises K×81×H'×W' tap tensors (unfold, nearest upsampling, weighting, softmax over taps);
 * as TF.js ops that is several 66 MB tensors per iteration and, on the cpu backend, tens of seconds (Tile and
 * broadcasting kernels are per-element there). The same arithmetic is done here in one pass over the taps as a
 * custom op with its analytic gradient, identical on every backend:
 *   z_t = Wt[y,x,t]·P[cell_t(y,x)]          (0 for cells outside the grid)
 *   m   = Σ_t z_t·e_t / Σ_t e_t,  e_t = exp(coldness·z_t)     (softmax pooling over all R² taps, zeros included)
 *   ∂m/∂z_t = s_t·(1 + coldness·(z_t − m)),  s_t = e_t / Σ e
 * then clamp to [0,1] (gradient passed where 0 ≤ m ≤ 1, §0.7). Sums run in float64 (the reference's float32
 * rounding is ~1e−7 relative).
 */
export class MaskGenerator {
  readonly geometry: MaskGeometry;
  /** Wt as [H'·W'·R²] (pixel-major, tap-minor). */
  private readonly weights: Float32Array;
  /** Parameter-grid row of tap row ky at full-mask row y: rowCell[y·R + ky], −1 outside the grid. */
  private readonly rowCell: Int32Array;
  private readonly colCell: Int32Array;

  constructor(height: number, width: number, step: number, sigma: number) {
    const g = maskGeometry(height, width, step, sigma);
    this.geometry = g;
    this.weights = generatorWeights(g);
    this.rowCell = tapCells(g, 0);
    this.colCell = tapCells(g, 1);
  }

  /** The generator weights Wt as NHWC [1, H', W', R²] (a new tensor; the caller disposes it). */
  weightTensor(): tf.Tensor4D {
    const g = this.geometry;
    return tf.tensor4d(this.weights, [1, g.shapeOut[0], g.shapeOut[1], g.window * g.window]);
  }

  /** Parameters [K, h, w, 1] (h×w = shapeIn) → cropped and full masks (§1.4 steps 1–5). Differentiable. */
  generate(params: tf.Tensor4D): GeneratedMask {
    const g = this.geometry;
    const [k, ph, pw, pc] = params.shape;
    if (ph !== g.shapeIn[0] || pw !== g.shapeIn[1] || pc !== 1) {
      throw new EngineError('INTERNAL', `mask parameters [${params.shape}] do not match the grid ${g.shapeIn}`);
    }
    const [outH, outW] = g.shapeOut;
    const op = tf.customGrad<tf.Tensor4D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const p = args[0] as tf.Tensor;
      // Host copies: the backward pass (run later, if at all) reuses the pooled values and denominators.
      const pData = Float32Array.from(p.dataSync() as Float32Array);
      const { full, pooled, denom } = this.forward(pData, k);
      return {
        value: tf.tensor4d(full, [k, outH, outW, 1]),
        gradFunc: (dy: tf.Tensor4D) =>
          tf.tensor4d(this.backward(pData, pooled, denom, dy.dataSync() as Float32Array, k), [k, ph, pw, 1]),
      };
    });
    return tf.tidy(() => {
      const full = op(params);
      const cropped = full.slice([0, g.cropOffset, g.cropOffset, 0], [k, g.shape[0], g.shape[1], 1]);
      return { cropped, full };
    });
  }

  /** Smooth-max pooling of K masks; also returns the unclamped pooled values and softmax denominators. */
  private forward(p: Float32Array, k: number): { full: Float32Array; pooled: Float64Array; denom: Float64Array } {
    const g = this.geometry;
    const [outH, outW] = g.shapeOut;
    const [inH, inW] = g.shapeIn;
    const R = g.window;
    const taps = R * R;
    const n = outH * outW;
    const full = new Float32Array(k * n);
    const pooled = new Float64Array(k * n);
    const denom = new Float64Array(k * n);
    const { weights, rowCell, colCell } = this;
    for (let a = 0; a < k; a++) {
      const pBase = a * inH * inW;
      for (let y = 0; y < outH; y++) {
        for (let x = 0; x < outW; x++) {
          const pix = y * outW + x;
          let wi = pix * taps;
          let num = 0;
          let den = 0;
          for (let ky = 0; ky < R; ky++) {
            const i = rowCell[y * R + ky];
            for (let kx = 0; kx < R; kx++, wi++) {
              const j = colCell[x * R + kx];
              if (i < 0 || j < 0) { den += 1; continue; }
              const z = Math.fround(weights[wi] * p[pBase + i * inW + j]);
              const e = Math.exp(COLDNESS * z);
              num += z * e;
              den += e;
            }
          }
          const m = num / den;
          pooled[a * n + pix] = m;
          denom[a * n + pix] = den;
          full[a * n + pix] = m < 0 ? 0 : m > 1 ? 1 : m;
        }
      }
    }
    return { full, pooled, denom };
  }

  /** Gradient w.r.t. the parameters of Σ dy·clamp(m) (see the class comment). */
  private backward(p: Float32Array, pooled: Float64Array, denom: Float64Array, dy: Float32Array, k: number): Float32Array {
    const g = this.geometry;
    const [outH, outW] = g.shapeOut;
    const [inH, inW] = g.shapeIn;
    const R = g.window;
    const taps = R * R;
    const n = outH * outW;
    const grad = new Float64Array(k * inH * inW);
    const { weights, rowCell, colCell } = this;
    for (let a = 0; a < k; a++) {
      const pBase = a * inH * inW;
      for (let y = 0; y < outH; y++) {
        for (let x = 0; x < outW; x++) {
          const pix = y * outW + x;
          const m = pooled[a * n + pix];
          const d = dy[a * n + pix];
          if (d === 0 || m < 0 || m > 1) continue;
          const scale = d / denom[a * n + pix];
          let wi = pix * taps;
          for (let ky = 0; ky < R; ky++) {
            const i = rowCell[y * R + ky];
            if (i < 0) { wi += R; continue; }
            for (let kx = 0; kx < R; kx++, wi++) {
              const j = colCell[x * R + kx];
              if (j < 0) continue;
              const w = weights[wi];
              const q = pBase + i * inW + j;
              const z = Math.fround(w * p[q]);
              grad[q] += scale * Math.exp(COLDNESS * z) * (1 + COLDNESS * (z - m)) * w;
            }
          }
        }
      }
    }
    return Float32Array.from(grad);
  }

  /** Nothing backend-side to free (kept so callers treat every engine object alike). */
  dispose(): void {
    // The weights are plain arrays.
  }
}

/** Grid cell seen by tap row/column kk at full-mask row/column u: ⌊u/step⌋ + kk − padding, or −1 outside. */
function tapCells(g: MaskGeometry, axis: 0 | 1): Int32Array {
  const out = g.shapeOut[axis];
  const cells = g.shapeIn[axis];
  const R = g.window;
  const src = nearestSource(g.shapeMid[axis], g.shapeUp[axis], out);
  const map = new Int32Array(out * R);
  for (let u = 0; u < out; u++) {
    for (let kk = 0; kk < R; kk++) {
      const c = src[u] + kk - g.padding;
      map[u * R + kk] = c >= 0 && c < cells ? c : -1;
    }
  }
  return map;
}
