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
/** Masks whose forward exps are kept for their backward (see takeSlot). */
const EXP_SLOTS = 4;

export class SmoothMaxKernel {
  private readonly exports: KernelExports;
  /** Float offsets (×4 for the kernel's byte offsets) and row widths of the regions described in the .wat. */
  private readonly off: Record<'p' | 'd' | 't' | 'e1' | 'seq' | 'g' | 'boff' | 'den' | 'num' | 'u1' | 'u2' | 'grad', number>;
  /** Distinct weight sequences along kx in the forward's Seq stream. */
  private readonly sequences: number;
  /** The exps of a forward pass (E, one mask's worth per slot) kept for its backward: slots taken in turn. */
  private readonly slotFloats: number;
  private readonly slotBase: number[] = [];
  private readonly slotStamp: number[] = [];
  private nextSlot = 0;
  private stamp = 0;
  private readonly pw: number;
  private readonly nbxV: number;
  private readonly uw: number;
  private readonly uo: number;
  private readonly inWV: number;
  /** Per full-mask row (column): its (block, class) offset in den/num (forward) and in u1/u2 (backward). */
  private readonly denRow: Int32Array;
  private readonly denCol: Int32Array;
  private readonly uRow: Int32Array;
  private readonly uCol: Int32Array;
  private mem: Float32Array;
  private mem64: Float64Array;

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
    // Groups of eight blocks in the forward.
    this.nbxV = Math.ceil(nbx / 8) * 8;
    // Cells in groups of eight in the backward.
    this.inWV = Math.ceil(inW / 8) * 8;
    // Wide enough for the forward's window test (8 + R − 1 columns from any group of blocks) and the backward's cells.
    this.pw = ceil4(Math.max(this.nbxV + R + 3, g.padding + this.inWV));
    // u1/u2 rows start `uo` floats early so that blocks left of the grid (bX ≥ −(R−1) + padding) read zeros.
    this.uo = R;
    this.uw = ceil4(Math.max(this.uo + this.inWV + g.padding, this.uo + nbx));
    // The forward's distinct kx sequences of weights, each with the (ky, class) pairs that read it.
    const seqs = new Map<string, { weights: number[]; targets: number[] }>();
    for (let ky = 0; ky < R; ky++) {
      for (let q = 0; q < c; q++) {
        const weights = Array.from({ length: R }, (_, kx) => layout.weightIndex[q * taps + ky * R + kx]);
        const key = weights.join(',');
        let seq = seqs.get(key);
        if (!seq) seqs.set(key, (seq = { weights, targets: [] }));
        seq.targets.push(ky, q * this.nbxV * 8);
      }
    }
    const stream: number[] = [];
    for (const { weights, targets } of seqs.values()) stream.push(...weights.map((wi) => wi * 4 * this.pw * 4), targets.length / 2, ...targets);
    this.sequences = seqs.size;
    const sizes = {
      // t: the forward's float64 table (the backward's float32 one fits in it)
      // e1: one row of exps, for a backward whose forward's are no longer kept
      p: inH * this.pw, d: nw, t: nw * 4 * this.pw, e1: nw * this.pw, seq: stream.length, g: this.nbxV / 8, boff: taps * c,
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
    const [outH, outW] = g.shapeOut;
    this.denRow = Int32Array.from({ length: outH }, (_, y) => (layout.pixelBlockRow[y] * c + layout.rowClass[y] * layout.colClasses) * this.nbxV);
    this.denCol = Int32Array.from({ length: outW }, (_, x) => layout.colClass[x] * this.nbxV + layout.pixelBlockCol[x]);
    this.uRow = Int32Array.from({ length: outH }, (_, y) => (layout.pixelBlockRow[y] * c + layout.rowClass[y] * layout.colClasses) * this.uw + this.uo);
    this.uCol = Int32Array.from({ length: outW }, (_, x) => layout.colClass[x] * this.uw + layout.pixelBlockCol[x]);
    this.slotFloats = ceil4(inH * nw * this.pw);
    this.mem = this.mem64 = null as never;
    this.grow(next);
    if (layout.coldness !== 20) throw new EngineError('INTERNAL', 'the wasm kernel is specialised for coldness 20');
    this.mem.set(layout.distinct, off.d);
    const i32 = new Int32Array(this.exports.memory.buffer);
    i32.set(stream, off.seq);
    // Byte offsets into the backward's table of the weight of each (tap, class), at [ky·R + kx][c].
    const rowBytes = 2 * this.pw * 4;
    for (let t = 0; t < taps; t++) {
      for (let q = 0; q < c; q++) i32[off.boff + t * c + q] = layout.weightIndex[q * taps + t] * rowBytes;
    }
  }

  /** Memory for `floats` floats in all (never shrinks); the views follow the buffer. */
  private grow(floats: number): void {
    const memory = this.exports.memory;
    const pages = Math.ceil((4 * floats) / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    this.mem = new Float32Array(memory.buffer);
    this.mem64 = new Float64Array(memory.buffer);
  }

  /**
   * A slot for the exps of one mask's forward pass (float offset), stamped so that the backward can tell whether
   * they are still there: EXP_SLOTS masks may be generated before the first one's backward (one per area in the
   * mask thread); past that the backward computes them again (same values).
   */
  private takeSlot(ws: MaskWorkspace, a: number): number {
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % EXP_SLOTS;
    if (slot === this.slotBase.length) {
      const base = this.slotBase.length ? this.slotBase[slot - 1] + this.slotFloats : this.mem.length;
      this.grow(base + this.slotFloats);
      this.slotBase.push(base);
    }
    this.slotStamp[slot] = ++this.stamp;
    ws.expSlot[2 * a] = slot;
    ws.expSlot[2 * a + 1] = this.stamp;
    return this.slotBase[slot];
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
    const { off, denRow, denCol } = this;
    const den0 = off.den / 2;
    const num0 = off.num / 2;
    const { full, pooled, denom } = ws;
    ws.params.set(params);
    for (let a = 0; a < ws.k; a++) {
      const e = this.takeSlot(ws, a);
      this.loadParams(ws.params, a);
      this.exports.forward(4 * off.p, 4 * off.d, L.distinct.length, 4 * off.t, 4 * e, 4 * off.seq, this.sequences, 4 * off.den,
        4 * off.num, L.blockRows, this.nbxV, L.classes, g.window, g.padding, g.shapeIn[0], this.pw, 4 * off.g);
      const mem64 = this.mem64;
      // Block sums → pixels: m = Σz·e / Σe and its clamp.
      for (let y = 0, pix = a * n; y < outH; y++) {
        const d0 = den0 + denRow[y];
        const n0 = num0 + denRow[y];
        for (let x = 0; x < outW; x++, pix++) {
          const den = mem64[d0 + denCol[x]];
          const m = mem64[n0 + denCol[x]] / den;
          pooled[pix] = m;
          denom[pix] = den;
          full[pix] = m < 0 ? 0 : m > 1 ? 1 : m;
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
    const { off, mem, uw, uo, inWV, uRow, uCol } = this;
    const { classes } = L;
    const { pooled, denom } = ws;
    const grad = new Float32Array(ws.k * cells);
    const u1 = mem.subarray(off.u1, off.u1 + L.blockRows * classes * uw);
    const u2 = mem.subarray(off.u2, off.u2 + L.blockRows * classes * uw);
    for (let a = 0; a < ws.k; a++) {
      // Per block and class (one pixel each): ∂m/∂P via a tap is w·e·(u1 + u2·z), u1 = s·(1 − c·m), u2 = s·c,
      // s = dy/Σe; zero where the clamp passes no gradient (§0.7).
      u1.fill(0);
      u2.fill(0);
      for (let y = 0, pix = a * n; y < outH; y++) {
        const rowBase = uRow[y];
        for (let x = 0; x < outW; x++, pix++) {
          const m = pooled[pix];
          const d = dy[pix];
          if (d === 0 || m < 0 || m > 1) continue;
          const o = rowBase + uCol[x];
          const s = d / denom[pix];
          u1[o] = s * (1 - coldness * m);
          u2[o] = s * coldness;
        }
      }
      this.loadParams(ws.params, a);
      const slot = ws.expSlot[2 * a];
      const cached = slot >= 0 && this.slotStamp[slot] === ws.expSlot[2 * a + 1] ? 1 : 0;
      this.exports.backward(4 * off.p, 4 * off.d, L.distinct.length, 4 * off.t, 4 * off.boff, 4 * off.u1, 4 * off.u2,
        4 * off.grad, L.blockRows, uw, uo, classes, g.window, g.padding, inH, inWV, this.pw, 4 * (cached ? this.slotBase[slot] : off.e1), cached);
      for (let i = 0; i < inH; i++) {
        grad.set(mem.subarray(off.grad + i * inWV, off.grad + i * inWV + inW), a * cells + i * inW);
      }
    }
    return grad;
  }
}
