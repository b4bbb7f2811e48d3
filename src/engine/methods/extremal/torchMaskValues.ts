// Single full-mask pixels exactly as TorchRay's MaskGenerator computes them in float32 (METHODS.md §1.4):
// z_t = w_t·p_t, softmax over the R² taps of 20·z (max subtracted, PyTorch's exp, sum in tap order, divide),
// then Σ_t z_t·softmax_t in PyTorch's cascade order, clamped to [0, 1]. The fast generator (maskGenerator.ts) sums in
// float64 and so differs from this in the last bits; the area term uses this where the last bit decides torch.sort's
// order of near-equal values (torchTies.ts).
import { COLDNESS, type MaskGeometry, nearestSource, tapWeight } from './maskGenerator';
import { torchColumnSum, torchExpf } from './torchFloat32';

const f = Math.fround;
/** PyTorch's vectorised outer sum handles columns in blocks of 4 AVX2 vectors of 8; the rest go the scalar way. */
const SUM_BLOCK = 32;

export class TorchMaskValues {
  private readonly rowSrc: Int32Array;
  private readonly colSrc: Int32Array;
  /** Weights per (row class, column class): R² float32 values each, bit-identical to the reference's. */
  private readonly weights = new Map<number, Float32Array>();
  /** Index of each row's (column's) distinct offset. */
  private readonly rowClass: Int32Array;
  private readonly colClass: Int32Array;
  private readonly colClasses: number;
  private readonly taps: number;
  private readonly z: Float32Array;
  private readonly e: Float32Array;
  private readonly prod: Float32Array;
  /** First column (pixel index inside one mask) summed by the scalar path. */
  private readonly tailStart: number;

  constructor(private readonly g: MaskGeometry) {
    const [outH, outW] = g.shapeOut;
    this.rowSrc = nearestSource(g.shapeMid[0], g.shapeUp[0], outH);
    this.colSrc = nearestSource(g.shapeMid[1], g.shapeUp[1], outW);
    // A pixel's weights depend only on its offset from its source cell's bump centre, per axis.
    const offset = (u: number, src: Int32Array) => f(u - f(f(g.margin) + g.step * (src[u] - g.padding)));
    const rowKey = Float64Array.from({ length: outH }, (_, y) => offset(y, this.rowSrc));
    const colKey = Float64Array.from({ length: outW }, (_, x) => offset(x, this.colSrc));
    this.rowClass = classesOf(rowKey);
    this.colClass = classesOf(colKey);
    this.colClasses = Math.max(...this.colClass) + 1;
    this.taps = g.window * g.window;
    this.z = new Float32Array(this.taps);
    this.e = new Float32Array(this.taps);
    this.prod = new Float32Array(this.taps);
    this.window = new Float32Array(this.taps);
    this.windowBits = new Uint32Array(this.window.buffer);
    const n = outH * outW;
    this.tailStart = n - (n % SUM_BLOCK);
  }

  /** Values already computed for a (weight class, parameter window) signature; valid for one set of parameters. */
  private readonly memo = new Map<number, number>();
  /** The parameters one pixel sees, and their bits (for the memo's key). */
  private readonly window: Float32Array;
  private readonly windowBits: Uint32Array;

  /** Forgets remembered values: call when the parameters change. */
  reset(): void {
    this.memo.clear();
  }

  /**
   * `value`, remembered per signature: pixels of the same weight class whose R×R parameter windows hold the same
   * bits get the same value (a plateau of parameters clamped at 1 repeats one value per class thousands of times).
   */
  cachedValue(params: ArrayLike<number>, base: number, pixel: number): number {
    this.gather(params, base, pixel);
    // Two 32-bit FNV-1a-style hashes of the class and the window's bits, as one 53-bit key.
    const cls = this.classIndex(pixel);
    let h1 = 0x811c9dc5 ^ cls;
    let h2 = 0x01000193 + cls * 0x9e3779b1;
    for (let t = 0; t < this.taps; t++) {
      const b = this.windowBits[t];
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = Math.imul(h2 ^ (b >>> 7) ^ (b << 11), 0x85ebca6b) ^ (h2 >>> 13);
    }
    const key = (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
    let v = this.memo.get(key);
    if (v === undefined) {
      v = this.pooled(pixel);
      this.memo.set(key, v);
    }
    return v;
  }

  /** The clamped full-mask value at pixel index `pixel` (row-major in H'×W') for parameters `params[base …]`. */
  value(params: ArrayLike<number>, base: number, pixel: number): number {
    this.gather(params, base, pixel);
    return this.pooled(pixel);
  }

  /** The R×R parameters pixel `pixel` sees, 0 outside the grid, into `window` in tap order. */
  private gather(params: ArrayLike<number>, base: number, pixel: number): void {
    const g = this.g;
    const [inH, inW] = g.shapeIn;
    const y = Math.floor(pixel / g.shapeOut[1]);
    const x = pixel - y * g.shapeOut[1];
    for (let ky = 0, t = 0; ky < g.window; ky++) {
      const cy = this.rowSrc[y] + ky - g.padding;
      for (let kx = 0; kx < g.window; kx++, t++) {
        const cx = this.colSrc[x] + kx - g.padding;
        this.window[t] = cy >= 0 && cy < inH && cx >= 0 && cx < inW ? params[base + cy * inW + cx] : 0;
      }
    }
  }

  /** Smooth-max pooling of the gathered window, clamped. */
  private pooled(pixel: number): number {
    const outW = this.g.shapeOut[1];
    const y = Math.floor(pixel / outW);
    const w = this.weightsAt(y, pixel - y * outW);
    const { z, e, prod, taps, window } = this;
    let max = -Infinity;
    for (let t = 0; t < taps; t++) {
      z[t] = f(w[t] * window[t]);
      const s = f(COLDNESS * z[t]);
      if (s > max) max = s;
    }
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      e[t] = torchExpf(f(f(COLDNESS * z[t]) - max));
      sum = f(sum + e[t]);
    }
    for (let t = 0; t < taps; t++) prod[t] = f(z[t] * f(e[t] / sum));
    const m = torchColumnSum((t) => prod[t], taps, pixel < this.tailStart);
    return m < 0 ? 0 : m > 1 ? 1 : m;
  }

  /** Weight class of a pixel, plus whether its column sum takes the scalar path (which rounds differently). */
  private classIndex(pixel: number): number {
    const y = Math.floor(pixel / this.g.shapeOut[1]);
    const x = pixel - y * this.g.shapeOut[1];
    return (this.rowClass[y] * this.colClasses + this.colClass[x]) * 2 + (pixel < this.tailStart ? 0 : 1);
  }

  private weightsAt(y: number, x: number): Float32Array {
    const key = this.rowClass[y] * this.colClasses + this.colClass[x];
    let w = this.weights.get(key);
    if (!w) {
      const g = this.g;
      w = new Float32Array(this.taps);
      for (let ky = 0; ky < g.window; ky++) {
        for (let kx = 0; kx < g.window; kx++) w[ky * g.window + kx] = tapWeight(g, this.rowSrc[y], y, this.colSrc[x], x, ky, kx);
      }
      this.weights.set(key, w);
    }
    return w;
  }
}

function classesOf(keys: Float64Array): Int32Array {
  const index = new Map<number, number>();
  return Int32Array.from(keys, (k) => {
    let i = index.get(k);
    if (i === undefined) index.set(k, (i = index.size));
    return i;
  });
}
