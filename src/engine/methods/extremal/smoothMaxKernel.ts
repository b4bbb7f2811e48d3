// The smooth-max mask generator's forward and backward (METHODS.md §1.4) on the WebAssembly SIMD kernel
// smoothMaxKernel.wat: this side lays out its memory, writes the parameters and the backward's per-pixel factors,
// and reads back the block sums into per-pixel masks. Same formulas as MaskGenerator's JavaScript loops, with the
// terms computed in float32 (as the reference computes them) and summed in float64.
import { EngineError } from '../../errors';
import type { MaskGeometry, MaskWorkspace } from './maskGenerator';
import KERNEL_BYTES from './smoothMaxKernel.wat';

interface KernelExports {
  memory: WebAssembly.Memory;
  forward(...args: number[]): void;
  backward(...args: number[]): void;
}

/** What the kernel needs of a MaskGenerator's precomputed structure. */
export interface KernelLayout {
  geometry: MaskGeometry;
  /** Pixel classes (offset inside a step×step block); class = rowClass·colClasses + colClass. */
  classes: number;
  colClasses: number;
  blockRows: number;
  blockCols: number;
  /** Distinct weights (float32 values), and the index of the weight of tap t for class c at [c·R² + t]. */
  distinct: Float64Array;
  weightIndex: Int32Array;
  pixelBlockRow: Int32Array;
  pixelBlockCol: Int32Array;
  rowClass: Int32Array;
  colClass: Int32Array;
  coldness: number;
}

let compiled: WebAssembly.Module | null = null;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (the JavaScript loops are used then). */
function kernelModule(): WebAssembly.Module | null {
  if (!compiled && WebAssembly.validate(KERNEL_BYTES)) compiled = new WebAssembly.Module(KERNEL_BYTES);
  return compiled;
}

export function smoothMaxKernelAvailable(): boolean {
  return kernelModule() !== null;
}

const ceil4 = (n: number) => Math.ceil(n / 4) * 4;

export class SmoothMaxKernel {
  private readonly exports: KernelExports;
  /** Float offsets (×4 for the kernel's byte offsets) and row widths of the regions described in the .wat. */
  private readonly off: Record<'p' | 'd' | 't' | 'toff' | 'boff' | 'den' | 'num' | 'u1' | 'u2' | 'grad', number>;
  private readonly pw: number;
  private readonly nbxV: number;
  private readonly uw: number;
  private readonly uo: number;
  private readonly inWV: number;
  private readonly mem: Float32Array;
  private readonly mem64: Float64Array;

  constructor(private readonly layout: KernelLayout) {
    const module = kernelModule();
    if (!module) throw new EngineError('INTERNAL', 'WebAssembly SIMD is not available for the mask generator kernel');
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
    const g = layout.geometry;
    const [inH, inW] = g.shapeIn;
    const { classes: c, blockRows: nby, blockCols: nbx } = layout;
    const taps = g.window * g.window;
    const R = g.window;
    const nw = layout.distinct.length;
    this.nbxV = ceil4(nbx);
    this.inWV = ceil4(inW);
    // Wide enough for the forward's window test (4 + R − 1 columns from any block group) and the backward's cells.
    this.pw = ceil4(Math.max(this.nbxV + R + 3, g.padding + this.inWV));
    // u1/u2 rows start `uo` floats early so that blocks left of the grid (bX ≥ −(R−1) + padding) read zeros.
    this.uo = R;
    this.uw = ceil4(Math.max(this.uo + this.inWV + g.padding, this.uo + nbx));
    const sizes = {
      p: inH * this.pw, d: nw, t: nw * 2 * this.pw, toff: taps * c, boff: taps * c,
      // float64 (two floats each)
      den: 2 * nby * c * this.nbxV, num: 2 * nby * c * this.nbxV, u1: nby * c * this.uw, u2: nby * c * this.uw, grad: inH * this.inWV,
    };
    let next = 0;
    const off = {} as typeof this.off;
    for (const [name, size] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
      off[name] = next;
      next += ceil4(size);
    }
    this.off = off;
    const memory = this.exports.memory;
    const pages = Math.ceil((4 * next) / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    this.mem = new Float32Array(memory.buffer);
    this.mem64 = new Float64Array(memory.buffer);
    if (layout.coldness !== 20) throw new EngineError('INTERNAL', 'the wasm kernel is specialised for coldness 20');
    this.mem.set(layout.distinct, off.d);
    // Byte offsets into the table of the weight of each (tap, class): forward [ky][c][kx], backward [ky·R + kx][c].
    const i32 = new Int32Array(memory.buffer);
    const rowBytes = 2 * this.pw * 4;
    for (let ky = 0; ky < R; ky++) {
      for (let q = 0; q < c; q++) {
        for (let kx = 0; kx < R; kx++) {
          const wi = layout.weightIndex[q * taps + ky * R + kx];
          i32[off.toff + (ky * c + q) * R + kx] = wi * rowBytes;
          i32[off.boff + (ky * R + kx) * c + q] = wi * rowBytes;
        }
      }
    }
  }

  /** Parameters of mask a into the zero-bordered grid P. */
  private loadParams(params: Float32Array, a: number): void {
    const [inH, inW] = this.layout.geometry.shapeIn;
    const base = a * inH * inW;
    for (let i = 0; i < inH; i++) {
      this.mem.set(params.subarray(base + i * inW, base + (i + 1) * inW), this.off.p + i * this.pw + this.layout.geometry.padding);
    }
  }

  /** Forward pass of ws.k masks: fills ws.params, ws.full, ws.pooled and ws.denom as MaskGenerator.forward does. */
  forward(params: ArrayLike<number>, ws: MaskWorkspace): void {
    const L = this.layout;
    const g = L.geometry;
    const [outH, outW] = g.shapeOut;
    const n = outH * outW;
    const { off, mem64, nbxV } = this;
    const den0 = off.den / 2;
    const num0 = off.num / 2;
    const { classes, colClasses, rowClass, colClass, pixelBlockRow, pixelBlockCol } = L;
    ws.params.set(params);
    for (let a = 0; a < ws.k; a++) {
      this.loadParams(ws.params, a);
      this.exports.forward(4 * off.p, 4 * off.d, L.distinct.length, 4 * off.t, 4 * off.toff, 4 * off.den, 4 * off.num,
        L.blockRows, nbxV, classes, g.window, g.padding, g.shapeIn[0], this.pw);
      // Block sums → pixels: m = Σz·e / Σe and its clamp.
      for (let y = 0; y < outH; y++) {
        const rowBase = pixelBlockRow[y] * classes * nbxV + rowClass[y] * colClasses * nbxV;
        for (let x = 0; x < outW; x++) {
          const o = rowBase + colClass[x] * nbxV + pixelBlockCol[x];
          const den = mem64[den0 + o];
          const m = mem64[num0 + o] / den;
          const pix = a * n + y * outW + x;
          ws.pooled[pix] = m;
          ws.denom[pix] = den;
          ws.full[pix] = m < 0 ? 0 : m > 1 ? 1 : m;
        }
      }
    }
  }

  /** Gradient w.r.t. the parameters [K·h·w] of Σ dy·clamp(m), for the forward pass held in `ws`. */
  backward(dy: ArrayLike<number>, ws: MaskWorkspace): Float32Array {
    const L = this.layout;
    const g = L.geometry;
    const [outH, outW] = g.shapeOut;
    const [inH, inW] = g.shapeIn;
    const n = outH * outW;
    const cells = inH * inW;
    const coldness = L.coldness;
    const { off, mem, uw, uo, inWV } = this;
    const { classes, colClasses, rowClass, colClass, pixelBlockRow, pixelBlockCol } = L;
    const grad = new Float32Array(ws.k * cells);
    const u1 = mem.subarray(off.u1, off.u1 + L.blockRows * classes * uw);
    const u2 = mem.subarray(off.u2, off.u2 + L.blockRows * classes * uw);
    for (let a = 0; a < ws.k; a++) {
      // Per block and class (one pixel each): ∂m/∂P via a tap is w·e·(u1 + u2·z), u1 = s·(1 − c·m), u2 = s·c,
      // s = dy/Σe; zero where the clamp passes no gradient (§0.7).
      u1.fill(0);
      u2.fill(0);
      for (let y = 0; y < outH; y++) {
        const rowBase = pixelBlockRow[y] * classes * uw + rowClass[y] * colClasses * uw + uo;
        for (let x = 0; x < outW; x++) {
          const pix = a * n + y * outW + x;
          const m = ws.pooled[pix];
          const d = dy[pix];
          if (d === 0 || m < 0 || m > 1) continue;
          const o = rowBase + colClass[x] * uw + pixelBlockCol[x];
          const s = d / ws.denom[pix];
          u1[o] = s * (1 - coldness * m);
          u2[o] = s * coldness;
        }
      }
      this.loadParams(ws.params, a);
      this.exports.backward(4 * off.p, 4 * off.d, L.distinct.length, 4 * off.t, 4 * off.boff, 4 * off.u1, 4 * off.u2,
        4 * off.grad, L.blockRows, uw, uo, classes, g.window, g.padding, inH, inWV, this.pw);
      for (let i = 0; i < inH; i++) {
        grad.set(mem.subarray(off.grad + i * inWV, off.grad + i * inWV + inW), a * cells + i * inW);
      }
    }
    return grad;
  }
}
