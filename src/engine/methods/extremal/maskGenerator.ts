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
 * The bump of tap (ky, kx) at full-mask pixel (y, x), whose source grid cell is (srcY, srcX): centred on parameter
 * cell (srcY + ky − padding, srcX + kx − padding), in the reference's float32 steps (a float32 value).
 */
function tapWeight(g: MaskGeometry, srcY: number, y: number, srcX: number, x: number, ky: number, kx: number): number {
  const margin = Math.fround(g.margin);
  const cy = Math.fround(margin + g.step * (srcY + ky - g.padding));
  const cx = Math.fround(margin + g.step * (srcX + kx - g.padding));
  const dy = Math.fround(y - cy);
  const dx = Math.fround(x - cx);
  const dist = Math.fround(Math.sqrt(Math.fround(Math.fround(dy * dy) + Math.fround(dx * dx))));
  return bump(Math.fround(dist / Math.fround(g.sigma)));
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
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const base = (y * outW + x) * taps;
      for (let ky = 0; ky < g.window; ky++) {
        for (let kx = 0; kx < g.window; kx++) weights[base + ky * g.window + kx] = tapWeight(g, rowSrc[y], y, colSrc[x], x, ky, kx);
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
 * Host-side state of one forward pass of K masks, reused across iterations (no per-iteration allocation) and
 * consumed by the backward pass.
 */
export class MaskWorkspace {
  /** Clamped full masks [K·H'·W'] (what the reference returns). */
  readonly full: Float32Array;
  /** Unclamped smooth-max values and softmax denominators per pixel (float64). */
  readonly pooled: Float64Array;
  readonly denom: Float64Array;
  /** Per parameter and distinct weight value, interleaved: e = exp(coldness·z) and z·e, z = fround(w·p). */
  readonly table: Float64Array;
  /** Parameters of the forward pass (the backward pass needs them for the all-zero/all-one block shortcuts). */
  readonly params: Float32Array;

  constructor(readonly k: number, pixels: number, cells: number, distinctWeights: number) {
    this.full = new Float32Array(k * pixels);
    this.pooled = new Float64Array(k * pixels);
    this.denom = new Float64Array(k * pixels);
    this.table = new Float64Array(2 * k * cells * distinctWeights);
    this.params = new Float32Array(k * cells);
  }
}

/**
 * Mask generator for one input size and (step, sigma).
 *
 * The reference materialises K×81×H'×W' tap tensors (unfold, nearest upsampling, weighting, softmax over taps);
 * as TF.js ops that is several 66 MB tensors per iteration. The same arithmetic is done here on the host, as a
 * custom op with its analytic gradient, identical on every backend:
 *   z_t = Wt[y,x,t]·P[cell_t(y,x)]          (0 for cells outside the grid)
 *   m   = Σ_t z_t·e_t / Σ_t e_t,  e_t = exp(coldness·z_t)     (softmax pooling over all R² taps, zeros included)
 *   ∂m/∂P[q] = Σ_{t: cell_t = q} s_t·(1 + coldness·(z_t − m))·w_t,  s_t = e_t / Σ e
 * then clamp to [0,1] (gradient passed where 0 ≤ m ≤ 1, §0.7). Sums run in float64 in tap order.
 *
 * Structure exploited (§1.4): Wt depends only on the pixel's offset inside its step×step block, so it is a small
 * table; all pixels of a block see the same R×R window of parameters; and the weight takes few distinct values
 * (the bump is radial), so exp(coldness·w·p) is tabulated once per (parameter, distinct weight) instead of once
 * per (pixel, tap) — the same float64 numbers, 9× fewer exponentials. Blocks whose window is all zeros give
 * m = 0 without any work.
 */
export class MaskGenerator {
  readonly geometry: MaskGeometry;
  /** Source grid row of every full-mask row (PyTorch nearest upsampling), and its offset class. */
  private readonly rowSrc: Int32Array;
  private readonly colSrc: Int32Array;
  private readonly rowClass: Int32Array;
  private readonly colClass: Int32Array;
  private readonly colClasses: number;
  /** Distinct float32 weight values, and for each (row class, col class, tap) the index of its weight. */
  private readonly distinct: Float64Array;
  private readonly weightIndex: Int32Array;

  constructor(height: number, width: number, step: number, sigma: number) {
    const g = maskGeometry(height, width, step, sigma);
    this.geometry = g;
    this.rowSrc = nearestSource(g.shapeMid[0], g.shapeUp[0], g.shapeOut[0]);
    this.colSrc = nearestSource(g.shapeMid[1], g.shapeUp[1], g.shapeOut[1]);
    const rows = offsetClasses(this.rowSrc, step);
    const cols = offsetClasses(this.colSrc, step);
    this.rowClass = rows.classOf;
    this.colClass = cols.classOf;
    this.colClasses = cols.representative.length;
    const taps = g.window * g.window;
    const values = new Map<number, number>();
    this.weightIndex = new Int32Array(rows.representative.length * cols.representative.length * taps);
    rows.representative.forEach((y, ry) => {
      cols.representative.forEach((x, rx) => {
        for (let t = 0; t < taps; t++) {
          const w = tapWeight(g, this.rowSrc[y], y, this.colSrc[x], x, Math.floor(t / g.window), t % g.window);
          let i = values.get(w);
          if (i === undefined) values.set(w, (i = values.size));
          this.weightIndex[(ry * this.colClasses + rx) * taps + t] = i;
        }
      });
    });
    this.distinct = Float64Array.from(values.keys());
  }

  /** The generator weights Wt as NHWC [1, H', W', R²] (a new tensor; the caller disposes it). */
  weightTensor(): tf.Tensor4D {
    const g = this.geometry;
    return tf.tensor4d(generatorWeights(g), [1, g.shapeOut[0], g.shapeOut[1], g.window * g.window]);
  }

  /** A workspace for `k` masks (reuse it across iterations). */
  workspace(k: number): MaskWorkspace {
    const g = this.geometry;
    return new MaskWorkspace(k, g.shapeOut[0] * g.shapeOut[1], g.shapeIn[0] * g.shapeIn[1], this.distinct.length);
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
      // A workspace per call: the backward pass (run later, if at all) needs this forward pass's state.
      const ws = this.workspace(k);
      this.forward(p.dataSync() as Float32Array, ws);
      return {
        value: tf.tensor4d(ws.full, [k, outH, outW, 1]),
        gradFunc: (dy: tf.Tensor4D) => tf.tensor4d(this.backward(dy.dataSync() as Float32Array, ws), [k, ph, pw, 1]),
      };
    });
    return tf.tidy(() => {
      const full = op(params);
      const cropped = full.slice([0, g.cropOffset, g.cropOffset, 0], [k, g.shape[0], g.shape[1], 1]);
      return { cropped, full };
    });
  }

  /** Smooth-max pooling of ws.k masks from parameters [K·h·w] into the workspace. */
  forward(params: ArrayLike<number>, ws: MaskWorkspace): void {
    const g = this.geometry;
    const [outH, outW] = g.shapeOut;
    const [inH, inW] = g.shapeIn;
    const R = g.window;
    const taps = R * R;
    const n = outH * outW;
    const cells = inH * inW;
    const nw = this.distinct.length;
    const { rowSrc, colSrc, rowClass, colClass, colClasses, weightIndex, distinct } = this;
    const { full, pooled, denom, table } = ws;
    ws.params.set(params as ArrayLike<number>);
    const window = new Int32Array(taps);
    for (let a = 0; a < ws.k; a++) {
      // exp(coldness·z) for every (parameter, distinct weight); z is rounded to float32 like the reference's product.
      const pBase = a * cells;
      for (let q = 0; q < cells; q++) {
        const pv = ws.params[pBase + q];
        const base = (pBase + q) * nw;
        for (let wi = 0; wi < nw; wi++) {
          const z = pv === 0 ? 0 : Math.fround(distinct[wi] * pv);
          const e = z === 0 ? 1 : Math.exp(COLDNESS * z);
          table[2 * (base + wi)] = e;
          table[2 * (base + wi) + 1] = z * e;
        }
      }
      let y = 0;
      while (y < outH) {
        const sy = rowSrc[y];
        let yEnd = y;
        while (yEnd < outH && rowSrc[yEnd] === sy) yEnd++;
        let x = 0;
        while (x < outW) {
          const sx = colSrc[x];
          let xEnd = x;
          while (xEnd < outW && colSrc[xEnd] === sx) xEnd++;
          // The block's window: table offsets of its R×R cells (−1 outside the grid); all zero → m = 0.
          let nonzero = false;
          for (let ky = 0; ky < R; ky++) {
            const i = sy + ky - g.padding;
            for (let kx = 0; kx < R; kx++) {
              const j = sx + kx - g.padding;
              const inside = i >= 0 && i < inH && j >= 0 && j < inW;
              window[ky * R + kx] = inside ? (pBase + i * inW + j) * nw : -1;
              if (inside && ws.params[pBase + i * inW + j] !== 0) nonzero = true;
            }
          }
          for (let yy = y; yy < yEnd; yy++) {
            const rowBase = rowClass[yy] * colClasses;
            for (let xx = x; xx < xEnd; xx++) {
              const pix = a * n + yy * outW + xx;
              if (!nonzero) {
                pooled[pix] = 0;
                denom[pix] = taps;
                full[pix] = 0;
                continue;
              }
              poolPixel(window, weightIndex, (rowBase + colClass[xx]) * taps, taps, table, pix, pooled, denom, full);
            }
          }
          x = xEnd;
        }
        y = yEnd;
      }
    }
  }

  /** Gradient w.r.t. the parameters [K·h·w] of Σ dy·clamp(m), for the forward pass held in `ws`. */
  backward(dy: ArrayLike<number>, ws: MaskWorkspace): Float32Array {
    const g = this.geometry;
    const [outH, outW] = g.shapeOut;
    const [inH, inW] = g.shapeIn;
    const R = g.window;
    const taps = R * R;
    const n = outH * outW;
    const cells = inH * inW;
    const nw = this.distinct.length;
    const grad = new Float64Array(ws.k * cells);
    const { rowSrc, colSrc, rowClass, colClass, colClasses, weightIndex, distinct } = this;
    const { pooled, denom, table } = ws;
    const window = new Int32Array(taps);
    const cellOf = new Int32Array(taps);
    for (let a = 0; a < ws.k; a++) {
      const pBase = a * cells;
      let y = 0;
      while (y < outH) {
        const sy = rowSrc[y];
        let yEnd = y;
        while (yEnd < outH && rowSrc[yEnd] === sy) yEnd++;
        let x = 0;
        while (x < outW) {
          const sx = colSrc[x];
          let xEnd = x;
          while (xEnd < outW && colSrc[xEnd] === sx) xEnd++;
          for (let ky = 0; ky < R; ky++) {
            const i = sy + ky - g.padding;
            for (let kx = 0; kx < R; kx++) {
              const j = sx + kx - g.padding;
              const inside = i >= 0 && i < inH && j >= 0 && j < inW;
              window[ky * R + kx] = inside ? (pBase + i * inW + j) * nw : -1;
              cellOf[ky * R + kx] = inside ? pBase + i * inW + j : -1;
            }
          }
          for (let yy = y; yy < yEnd; yy++) {
            const rowBase = rowClass[yy] * colClasses;
            for (let xx = x; xx < xEnd; xx++) {
              const pix = a * n + yy * outW + xx;
              const m = pooled[pix];
              const d = dy[pix];
              if (d === 0 || m < 0 || m > 1) continue;
              unpoolPixel(window, cellOf, weightIndex, (rowBase + colClass[xx]) * taps, taps, table, distinct,
                d / denom[pix], 1 - COLDNESS * m, grad);
            }
          }
          x = xEnd;
        }
        y = yEnd;
      }
    }
    return Float32Array.from(grad);
  }

  /** Nothing backend-side to free (kept so callers treat every engine object alike). */
  dispose(): void {
    // The tables are plain arrays.
  }
}

/** Smooth max of one pixel over its taps; `window[t]` is the table row of tap t's cell (−1: outside the grid). */
function poolPixel(
  window: Int32Array, weightIndex: Int32Array, wBase: number, taps: number, table: Float64Array,
  pix: number, pooled: Float64Array, denom: Float64Array, full: Float32Array,
): void {
  let num = 0;
  let den = 0;
  for (let t = 0; t < taps; t++) {
    const o = window[t];
    if (o < 0) { den += 1; continue; }
    const idx = 2 * (o + weightIndex[wBase + t]);
    den += table[idx];
    num += table[idx + 1];
  }
  const m = num / den;
  pooled[pix] = m;
  denom[pix] = den;
  full[pix] = m < 0 ? 0 : m > 1 ? 1 : m;
}

/** Adds one pixel's ∂m/∂P·dy: s_t·(1 + c(z_t − m))·w_t·dy = (dy/Σe)·w_t·((1 − c·m)·e_t + c·z_t·e_t). */
function unpoolPixel(
  window: Int32Array, cellOf: Int32Array, weightIndex: Int32Array, wBase: number, taps: number, table: Float64Array,
  distinct: Float64Array, scale: number, oneMinus: number, grad: Float64Array,
): void {
  for (let t = 0; t < taps; t++) {
    const o = window[t];
    if (o < 0) continue;
    const wi = weightIndex[wBase + t];
    const idx = 2 * (o + wi);
    grad[cellOf[t]] += scale * distinct[wi] * (oneMinus * table[idx] + COLDNESS * table[idx + 1]);
  }
}

/** Groups rows (or columns) u by their offset u − step·src[u] from their source cell; one representative each. */
function offsetClasses(src: Int32Array, step: number): { classOf: Int32Array; representative: number[] } {
  const classOf = new Int32Array(src.length);
  const byOffset = new Map<number, number>();
  const representative: number[] = [];
  for (let u = 0; u < src.length; u++) {
    const off = u - step * src[u];
    let c = byOffset.get(off);
    if (c === undefined) {
      byOffset.set(off, (c = representative.length));
      representative.push(u);
    }
    classOf[u] = c;
  }
  return { classOf, representative };
}
