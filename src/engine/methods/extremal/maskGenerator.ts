// The smooth-max mask generator of extremal perturbation (METHODS.md §1.4, TorchRay `MaskGenerator`):
// parameters on a coarse grid → a smooth maximum of flat-topped bumps → full mask (with margin) and cropped mask.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';
import { SmoothMaxKernel, smoothMaxKernelAvailable } from './smoothMaxKernel';
import { torchExpf } from './torchFloat32';

/** Smooth-max temperature inverse, fixed in TorchRay (the paper's T = 1/20). */
export const COLDNESS = 20;

/**
 * How the generator's forward and backward run: 'wasm' on the WebAssembly SIMD kernel (smoothMaxKernel.wat: the
 * table's exps in float32, sums in float64), 'js' on the tabulated float64 loops below; 'auto' takes 'wasm' where
 * SIMD validates.
 */
export type GeneratorKernel = 'auto' | 'wasm' | 'js';

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
export function nearestSource(mid: number, up: number, out: number): Int32Array {
  const scale = Math.fround(Math.fround(mid) / Math.fround(up));
  const src = new Int32Array(out);
  for (let u = 0; u < out; u++) src[u] = Math.min(Math.floor(Math.fround(u * scale)), mid - 1);
  return src;
}

/**
 * Bump profile g(z) = exp(−2·max(0, z − 0.5)²), z = distance/σ (§1.4), in float32 steps like the reference, with
 * its exp (bit-identical to TorchRay's weights).
 */
function bump(z: number): number {
  const d = Math.max(0, Math.fround(z - 0.5));
  return torchExpf(Math.fround(-2 * Math.fround(d * d)));
}

/**
 * The bump of tap (ky, kx) at full-mask pixel (y, x), whose source grid cell is (srcY, srcX): centred on parameter
 * cell (srcY + ky − padding, srcX + kx − padding), in the reference's float32 steps (a float32 value).
 */
export function tapWeight(g: MaskGeometry, srcY: number, y: number, srcX: number, x: number, ky: number, kx: number): number {
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
  /**
   * Rows of (e, z·e) per distinct weight, interleaved, e = exp(coldness·z), z = fround(w·p): one row per parameter
   * (filled only for parameters strictly between 0 and 1), then one shared row for parameters equal to 1.
   */
  readonly table: Float64Array;
  /** Table offset of each parameter's row; −1 for a parameter equal to 0 (e = 1, z·e = 0 for every weight). */
  readonly rowOf: Int32Array;
  /** Parameters of the forward pass. */
  readonly params: Float32Array;
  /** Offset of the shared row of parameters equal to 1. */
  readonly onesRow: number;
  /** Per block and pixel class: Σe and Σz·e in the forward pass, the two gradient factors in the backward pass. */
  readonly accA: Float64Array;
  readonly accB: Float64Array;
  /** Per mask, where the wasm kernel keeps the forward pass's exps for the backward: (slot, stamp), −1 for none. */
  readonly expSlot: Float64Array;

  /** `distinct` empty: no exponential table (the wasm kernel tabulates in its own memory). */
  constructor(readonly k: number, pixels: number, cells: number, distinct: Float64Array, blockSlots: number) {
    this.accA = new Float64Array(blockSlots);
    this.accB = new Float64Array(blockSlots);
    this.expSlot = new Float64Array(2 * k).fill(-1);
    const nw = distinct.length;
    this.full = new Float32Array(k * pixels);
    this.pooled = new Float64Array(k * pixels);
    this.denom = new Float64Array(k * pixels);
    this.table = new Float64Array(2 * nw * (k * cells + 1));
    this.rowOf = new Int32Array(k * cells);
    this.params = new Float32Array(k * cells);
    this.onesRow = 2 * nw * k * cells;
    fillRow(this.table, this.onesRow, distinct, 1);
  }
}

/** One row of the exponential table for parameter value p (z rounded to float32 like the reference's product). */
function fillRow(table: Float64Array, base: number, distinct: Float64Array, p: number): void {
  for (let wi = 0; wi < distinct.length; wi++) {
    const z = Math.fround(distinct[wi] * p);
    const e = z === 0 ? 1 : Math.exp(COLDNESS * z);
    table[base + 2 * wi] = e;
    table[base + 2 * wi + 1] = z * e;
  }
}

/** Runs of equal source cells along one axis: every pixel of a run (block) sees the same R×R parameter window. */
interface Blocks { start: Int32Array; end: Int32Array; src: Int32Array }

function blocksOf(src: Int32Array): Blocks {
  const start: number[] = [];
  const end: number[] = [];
  const cell: number[] = [];
  for (let u = 0; u < src.length; u++) {
    if (u === 0 || src[u] !== src[u - 1]) {
      start.push(u);
      cell.push(src[u]);
      if (u > 0) end.push(u);
    }
  }
  end.push(src.length);
  return { start: Int32Array.from(start), end: Int32Array.from(end), src: Int32Array.from(cell) };
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
 * then clamp to [0,1] (gradient passed where 0 ≤ m ≤ 1, §0.7). Sums run in float64.
 *
 * Structure exploited (§1.4): Wt depends only on the pixel's offset inside its step×step block, so it is a small
 * table; all pixels of a block see the same R×R window of parameters; and the weight takes few distinct values
 * (the bump is radial), so exp(coldness·w·p) is tabulated once per (parameter, distinct weight) instead of once
 * per (pixel, tap). Parameters at 0 (e = 1, z·e = 0) need no table and are counted, not summed; parameters at 1
 * share one table row. Both are most parameters once the optimisation has settled (the projection clamps to [0,1]).
 *
 * The loops below are the JavaScript implementation ('js'); by default forward and backward run on the WebAssembly
 * SIMD kernel (smoothMaxKernel.wat, 'wasm'), the same tabulation, several blocks or cells per instruction, and the
 * table's exps in float32 (~1e-7 on the masks, test/unit/smoothMaxKernel.test.ts).
 */
export class MaskGenerator {
  readonly geometry: MaskGeometry;
  /** Source grid row of every full-mask row (PyTorch nearest upsampling), and its offset class. */
  private readonly rowSrc: Int32Array;
  private readonly colSrc: Int32Array;
  private readonly rowClass: Int32Array;
  private readonly colClass: Int32Array;
  private readonly colClasses: number;
  private readonly classes: number;
  private readonly rowBlocks: Blocks;
  private readonly colBlocks: Blocks;
  /** Distinct float32 weight values, and for each (row class, col class, tap) the index of its weight. */
  private readonly distinct: Float64Array;
  private readonly weightIndex: Int32Array;
  /** Tap-major copies for the backward pass: [t·classes + class] → weight, and 2·its index (a table offset). */
  private readonly weightByTap: Float64Array;
  private readonly offsetByTap: Int32Array;
  /** For each grid row i: pairs (block row, ky·R) of the blocks whose window holds row i at window row ky; columns alike (kx). */
  private readonly rowTaps: Int32Array[];
  private readonly colTaps: Int32Array[];
  /** Block row (column) of every full-mask row (column). */
  private readonly pixelBlockRow: Int32Array;
  private readonly pixelBlockCol: Int32Array;
  /** Which implementation runs forward and backward (see GeneratorKernel). */
  readonly kernel: 'wasm' | 'js';
  private readonly simd: SmoothMaxKernel | null;

  constructor(height: number, width: number, step: number, sigma: number, kernel: GeneratorKernel = 'auto') {
    const g = maskGeometry(height, width, step, sigma);
    this.geometry = g;
    this.rowSrc = nearestSource(g.shapeMid[0], g.shapeUp[0], g.shapeOut[0]);
    this.colSrc = nearestSource(g.shapeMid[1], g.shapeUp[1], g.shapeOut[1]);
    this.rowBlocks = blocksOf(this.rowSrc);
    this.colBlocks = blocksOf(this.colSrc);
    const rows = offsetClasses(this.rowSrc, step);
    const cols = offsetClasses(this.colSrc, step);
    this.rowClass = rows.classOf;
    this.colClass = cols.classOf;
    this.colClasses = cols.representative.length;
    this.classes = rows.representative.length * this.colClasses;
    const taps = g.window * g.window;
    const values = new Map<number, number>();
    this.weightIndex = new Int32Array(this.classes * taps);
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
    this.weightByTap = new Float64Array(this.classes * taps);
    this.offsetByTap = new Int32Array(this.classes * taps);
    for (let c = 0; c < this.classes; c++) {
      for (let t = 0; t < taps; t++) {
        const wi = this.weightIndex[c * taps + t];
        this.weightByTap[t * this.classes + c] = this.distinct[wi];
        this.offsetByTap[t * this.classes + c] = 2 * wi;
      }
    }
    const taps1d = (blocks: Blocks, size: number, scale: number) => Array.from({ length: size }, (_, i) => {
      const pairs: number[] = [];
      blocks.src.forEach((src, b) => {
        const k = i - src + g.padding;
        if (k >= 0 && k < g.window) pairs.push(b, k * scale);
      });
      return Int32Array.from(pairs);
    });
    this.rowTaps = taps1d(this.rowBlocks, g.shapeIn[0], g.window);
    this.colTaps = taps1d(this.colBlocks, g.shapeIn[1], 1);
    const blockOf = (blocks: Blocks, size: number) => {
      const out = new Int32Array(size);
      blocks.start.forEach((s0, b) => out.fill(b, s0, blocks.end[b]));
      return out;
    };
    this.pixelBlockRow = blockOf(this.rowBlocks, g.shapeOut[0]);
    this.pixelBlockCol = blockOf(this.colBlocks, g.shapeOut[1]);
    // The kernel indexes block b's window from parameter cell b − padding: block b must have source cell b (true
    // for nearest upsampling by 1/step; checked rather than assumed).
    const identity = (b: Blocks) => b.src.every((src, i) => src === i);
    const usable = identity(this.rowBlocks) && identity(this.colBlocks) && smoothMaxKernelAvailable();
    if (kernel === 'wasm' && !usable) throw new EngineError('BAD_ARGUMENT', 'the WebAssembly SIMD mask generator kernel is not available here');
    this.kernel = kernel !== 'js' && usable ? 'wasm' : 'js';
    this.simd = this.kernel === 'wasm'
      ? new SmoothMaxKernel({
        geometry: g, classes: this.classes, colClasses: this.colClasses, blockRows: this.rowBlocks.start.length,
        blockCols: this.colBlocks.start.length, distinct: this.distinct, weightIndex: this.weightIndex, pixelBlockRow: this.pixelBlockRow,
        pixelBlockCol: this.pixelBlockCol, rowClass: this.rowClass, colClass: this.colClass, coldness: COLDNESS,
      })
      : null;
  }

  /** The generator weights Wt as NHWC [1, H', W', R²] (a new tensor; the caller disposes it). */
  weightTensor(): tf.Tensor4D {
    const g = this.geometry;
    return tf.tensor4d(generatorWeights(g), [1, g.shapeOut[0], g.shapeOut[1], g.window * g.window]);
  }

  /** A workspace for `k` masks (reuse it across iterations). */
  workspace(k: number): MaskWorkspace {
    const g = this.geometry;
    if (this.simd) return new MaskWorkspace(k, g.shapeOut[0] * g.shapeOut[1], g.shapeIn[0] * g.shapeIn[1], new Float64Array(0), 0);
    const slots = this.rowBlocks.start.length * this.colBlocks.start.length * this.classes;
    return new MaskWorkspace(k, g.shapeOut[0] * g.shapeOut[1], g.shapeIn[0] * g.shapeIn[1], this.distinct, slots);
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

  /**
   * Smooth-max pooling of ws.k masks from parameters [K·h·w] into the workspace. Cell-major: each parameter's table
   * row stays in cache while it is added to the accumulators of the blocks that see it (block-major, per class);
   * per pixel the taps are still summed in tap order (cells in row-major order are taps in row-major order).
   */
  forward(params: ArrayLike<number>, ws: MaskWorkspace): void {
    if (this.simd) return this.simd.forward(params, ws);
    const g = this.geometry;
    const [inH, inW] = g.shapeIn;
    const taps = g.window * g.window;
    const cells = inH * inW;
    const nw = this.distinct.length;
    const { classes, offsetByTap, distinct, rowTaps, colTaps } = this;
    const { table, rowOf, onesRow, accA: den, accB: num } = ws;
    const nbx = this.colBlocks.start.length;
    ws.params.set(params as ArrayLike<number>);
    for (let a = 0; a < ws.k; a++) {
      const pBase = a * cells;
      for (let q = pBase; q < pBase + cells; q++) {
        const pv = ws.params[q];
        if (pv === 0) rowOf[q] = -1;
        else if (pv === 1) rowOf[q] = onesRow;
        else fillRow(table, (rowOf[q] = 2 * nw * q), distinct, pv);
      }
      // Zero taps (zero parameters, cells outside the grid) add e = 1 each: start every sum at their count.
      const nonzero = this.windowCounts(rowOf, pBase);
      for (let b = 0; b < nonzero.length; b++) {
        den.fill(taps - nonzero[b], b * classes, (b + 1) * classes);
        num.fill(0, b * classes, (b + 1) * classes);
      }
      for (let i = 0; i < inH; i++) {
        const rt = rowTaps[i];
        for (let j = 0; j < inW; j++) {
          const r = rowOf[pBase + i * inW + j];
          if (r < 0) continue;
          const ct = colTaps[j];
          for (let u = 0; u < rt.length; u += 2) {
            for (let v = 0; v < ct.length; v += 2) {
              const ab = (rt[u] * nbx + ct[v]) * classes;
              const tb = (rt[u + 1] + ct[v + 1]) * classes;
              for (let q = 0; q < classes; q++) {
                const idx = r + offsetByTap[tb + q];
                den[ab + q] += table[idx];
                num[ab + q] += table[idx + 1];
              }
            }
          }
        }
      }
      this.scatterPixels(a, ws);
    }
  }

  /** Per block, how many of its R×R window cells have a non-zero parameter (have a table row). */
  private windowCounts(rowOf: Int32Array, pBase: number): Int32Array {
    const [inH, inW] = this.geometry.shapeIn;
    const nbx = this.colBlocks.start.length;
    const counts = new Int32Array(this.rowBlocks.start.length * nbx);
    for (let i = 0; i < inH; i++) {
      const rt = this.rowTaps[i];
      for (let j = 0; j < inW; j++) {
        if (rowOf[pBase + i * inW + j] < 0) continue;
        const ct = this.colTaps[j];
        for (let u = 0; u < rt.length; u += 2) for (let v = 0; v < ct.length; v += 2) counts[rt[u] * nbx + ct[v]]++;
      }
    }
    return counts;
  }

  /** Pixels of mask a from the block accumulators: m = Σ z·e / Σ e, and its clamp. */
  private scatterPixels(a: number, ws: MaskWorkspace): void {
    const [outH, outW] = this.geometry.shapeOut;
    const n = outH * outW;
    const { rowClass, colClass, colClasses, classes, pixelBlockRow, pixelBlockCol } = this;
    const nbx = this.colBlocks.start.length;
    const { full, pooled, denom, accA: den, accB: num } = ws;
    for (let y = 0; y < outH; y++) {
      const rb = pixelBlockRow[y] * nbx;
      const rc = rowClass[y] * colClasses;
      for (let x = 0; x < outW; x++) {
        const o = (rb + pixelBlockCol[x]) * classes + rc + colClass[x];
        const m = num[o] / den[o];
        const pix = a * n + y * outW + x;
        pooled[pix] = m;
        denom[pix] = den[o];
        full[pix] = m < 0 ? 0 : m > 1 ? 1 : m;
      }
    }
  }

  /**
   * Gradient w.r.t. the parameters [K·h·w] of Σ dy·clamp(m), for the forward pass held in `ws`. Per pixel,
   * ∂m/∂P via tap t is (dy/Σe)·w_t·((1 − c·m)·e_t + c·z_t·e_t) = w_t·(u1·e_t + u2·z_t·e_t); u1, u2 are gathered
   * per block and class, then each parameter sums over the blocks that see it (cell-major, like `forward`).
   */
  backward(dy: ArrayLike<number>, ws: MaskWorkspace): Float32Array {
    if (this.simd) return this.simd.backward(dy, ws);
    const g = this.geometry;
    const [outH, outW] = g.shapeOut;
    const [inH, inW] = g.shapeIn;
    const n = outH * outW;
    const cells = inH * inW;
    const grad = new Float32Array(ws.k * cells);
    const { rowClass, colClass, colClasses, classes, weightByTap, offsetByTap, rowTaps, colTaps, pixelBlockRow, pixelBlockCol } = this;
    const nbx = this.colBlocks.start.length;
    const { pooled, denom, table, rowOf, accA: u1, accB: u2 } = ws;
    for (let a = 0; a < ws.k; a++) {
      const pBase = a * cells;
      u1.fill(0);
      u2.fill(0);
      for (let y = 0; y < outH; y++) {
        const rb = pixelBlockRow[y] * nbx;
        const rc = rowClass[y] * colClasses;
        for (let x = 0; x < outW; x++) {
          const pix = a * n + y * outW + x;
          const m = pooled[pix];
          const d = dy[pix];
          if (d === 0 || m < 0 || m > 1) continue;
          const o = (rb + pixelBlockCol[x]) * classes + rc + colClass[x];
          const s = d / denom[pix];
          u1[o] = s * (1 - COLDNESS * m);
          u2[o] = s * COLDNESS;
        }
      }
      for (let i = 0; i < inH; i++) {
        const rt = rowTaps[i];
        for (let j = 0; j < inW; j++) {
          const cell = pBase + i * inW + j;
          const r = rowOf[cell];
          const ct = colTaps[j];
          let acc = 0;
          for (let u = 0; u < rt.length; u += 2) {
            for (let v = 0; v < ct.length; v += 2) {
              const ab = (rt[u] * nbx + ct[v]) * classes;
              const tb = (rt[u + 1] + ct[v + 1]) * classes;
              if (r < 0) {
                for (let q = 0; q < classes; q++) acc += u1[ab + q] * weightByTap[tb + q];
              } else {
                for (let q = 0; q < classes; q++) {
                  const c = tb + q;
                  const idx = r + offsetByTap[c];
                  acc += weightByTap[c] * (u1[ab + q] * table[idx] + u2[ab + q] * table[idx + 1]);
                }
              }
            }
          }
          grad[cell] = acc;
        }
      }
    }
    return grad;
  }

  /** Nothing backend-side to free (kept so callers treat every engine object alike). */
  dispose(): void {
    // The tables are plain arrays.
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
