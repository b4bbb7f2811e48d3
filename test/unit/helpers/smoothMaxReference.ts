// The mask generator's WebAssembly kernel (smoothMaxKernel.wat, METHODS.md §1.4) restated as plain scalar loops, one
// pixel (forward) or one parameter cell (backward) at a time, with every float32 rounding and every float64 sum in
// the kernel's order spelled out. The kernel must match it bit for bit: whatever the kernel vectorises, tabulates,
// shares or skips, the numbers may not move (the optimisation is chaotic; test/unit/maskSideIdentity.test.ts).
import { MaskGenerator, type MaskWorkspace, nearestSource, tapWeight } from '../../../src/engine/methods/extremal/maskGenerator';

const f = Math.fround;

/** Round half to even (f32x4.nearest). */
function nearest(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** e = exp(20·z) for z = w·p ≥ 0, in the kernel's float32 steps (Cephes expf; 20·z enters as 16·z + 4·z). */
export function kernelExp(z: number): number {
  const k = Math.min(Math.max(nearest(f(f(z * 20) * f(1.44269504088896341))), -126), 127);
  const x = f(f(f(f(z * 16) - f(k * f(0.693359375))) + f(z * 4)) - f(k * f(-2.12194440e-4)));
  let y = f(f(f(1.9875691500e-4) * x) + f(1.3981999507e-3));
  y = f(f(y * x) + f(8.3334519073e-3));
  y = f(f(y * x) + f(4.1665795894e-2));
  y = f(f(y * x) + f(1.6666665459e-1));
  y = f(f(y * x) + f(5.0000001201e-1));
  y = f(f(f(y * f(x * x)) + x) + 1);
  return f(y * 2 ** k);
}

/**
 * A MaskGenerator whose forward and backward are the scalar restatement of the wasm kernel (same geometry, same
 * workspace). Slow (~50 ms per mask and pass at 224 px): tests only.
 */
export class ReferenceGenerator extends MaskGenerator {
  private readonly sourceRow: Int32Array;
  private readonly sourceCol: Int32Array;
  /** Full-mask rows (columns) of each block row (column), ascending: the kernel's class order inside a block. */
  private readonly rowsOf: number[][];
  private readonly colsOf: number[][];
  /**
   * Index of the weight of tap t at pixel (y, x), at [(rowOffset[y]·offsets + colOffset[x])·R² + t]: it depends
   * only on the pixel's offset from its block's origin.
   */
  private readonly tapWeightIndex: Int32Array;
  private readonly rowOffset: Int32Array;
  private readonly colOffset: Int32Array;
  private readonly colOffsets: number;
  private readonly weights: number[] = [];

  constructor(height: number, width: number, step: number, sigma: number) {
    super(height, width, step, sigma, 'wasm');
    const g = this.geometry;
    this.sourceRow = nearestSource(g.shapeMid[0], g.shapeUp[0], g.shapeOut[0]);
    this.sourceCol = nearestSource(g.shapeMid[1], g.shapeUp[1], g.shapeOut[1]);
    const group = (src: Int32Array) => {
      const out: number[][] = Array.from({ length: src[src.length - 1] + 1 }, () => []);
      src.forEach((b, u) => out[b].push(u));
      return out;
    };
    this.rowsOf = group(this.sourceRow);
    this.colsOf = group(this.sourceCol);
    const R = g.window;
    // Pixels by their offset from the block origin (first pixel of each offset as its representative).
    const offsets = (src: Int32Array) => {
      const ids = new Map<number, number>();
      const first: number[] = [];
      const of = Int32Array.from(src, (b, u) => {
        let id = ids.get(u - g.step * b);
        if (id === undefined) {
          ids.set(u - g.step * b, (id = first.length));
          first.push(u);
        }
        return id;
      });
      return { of, first };
    };
    const rows = offsets(this.sourceRow);
    const cols = offsets(this.sourceCol);
    const index = new Map<number, number>();
    const idx = new Int32Array(rows.first.length * cols.first.length * R * R);
    rows.first.forEach((y, ry) => cols.first.forEach((x, rx) => {
      for (let t = 0; t < R * R; t++) {
        const w = tapWeight(g, this.sourceRow[y], y, this.sourceCol[x], x, Math.floor(t / R), t % R);
        let i = index.get(w);
        if (i === undefined) index.set(w, (i = this.weights.push(w) - 1));
        idx[(ry * cols.first.length + rx) * R * R + t] = i;
      }
    }));
    this.tapWeightIndex = idx;
    this.rowOffset = rows.of;
    this.colOffset = cols.of;
    this.colOffsets = cols.first.length;
  }

  /** e for every (cell of mask a, distinct weight): [cell·nw + weight index]. */
  private exps(params: ArrayLike<number>, a: number, cells: number): Float32Array {
    const nw = this.weights.length;
    const e = new Float32Array(cells * nw);
    for (let c = 0; c < cells; c++) {
      for (let wi = 0; wi < nw; wi++) e[c * nw + wi] = kernelExp(f(this.weights[wi] * params[a * cells + c]));
    }
    return e;
  }

  /** Index of the weight of tap t at pixel (y, x). */
  private weightAt(y: number, x: number, t: number): number {
    const R = this.geometry.window;
    return this.tapWeightIndex[(this.rowOffset[y] * this.colOffsets + this.colOffset[x]) * R * R + t];
  }

  /**
   * Per pixel: Σe = R² + Σ_ky (Σ_kx (e − 1)), Σz·e = 0 + Σ_ky (Σ_kx z·e), the inner sums in float64 from 0, the
   * terms in float32; m = Σz·e / Σe (float64), clamped.
   */
  override forward(params: ArrayLike<number>, ws: MaskWorkspace): void {
    const g = this.geometry;
    const [outH, outW] = g.shapeOut;
    const n = outH * outW;
    const [inH, inW] = g.shapeIn;
    const cells = inH * inW;
    const R = g.window;
    ws.params.set(params);
    const one = kernelExp(0);
    for (let a = 0; a < ws.k; a++) {
      const exps = this.exps(ws.params, a, cells);
      const nw = this.weights.length;
      for (let y = 0; y < outH; y++) {
        for (let x = 0; x < outW; x++) {
          let den = R * R;
          let num = 0;
          for (let ky = 0; ky < R; ky++) {
            const i = this.sourceRow[y] + ky - g.padding;
            let sd = 0;
            let sn = 0;
            for (let kx = 0; kx < R; kx++) {
              const j = this.sourceCol[x] + kx - g.padding;
              const wi = this.weightAt(y, x, ky * R + kx);
              // Cells outside the grid are zero parameters.
              const cell = i >= 0 && i < inH && j >= 0 && j < inW ? i * inW + j : -1;
              const z = f(this.weights[wi] * (cell < 0 ? 0 : ws.params[a * cells + cell]));
              const e = cell < 0 ? one : exps[cell * nw + wi];
              sd += f(e - 1);
              sn += f(z * e);
            }
            den += sd;
            num += sn;
          }
          const m = num / den;
          const pix = a * n + y * outW + x;
          ws.pooled[pix] = m;
          ws.denom[pix] = den;
          ws.full[pix] = m < 0 ? 0 : m > 1 ? 1 : m;
        }
      }
    }
  }

  /**
   * Per cell: Σ_ky Σ_kx (float64) of Σ over the pixels of the block that sees the cell at tap (ky, kx), row-major
   * (float32) of (w·e)·u1 + (w·e·z)·u2, with u1 = float32(s·(1 − 20m)), u2 = float32(20·s), s = dy/Σe (0 where dy = 0
   * or the clamp passes no gradient); the result rounded to float32.
   */
  override backward(dy: ArrayLike<number>, ws: MaskWorkspace): Float32Array {
    const g = this.geometry;
    const [outH, outW] = g.shapeOut;
    const [inH, inW] = g.shapeIn;
    const n = outH * outW;
    const cells = inH * inW;
    const R = g.window;
    const grad = new Float32Array(ws.k * cells);
    const u1 = new Float32Array(n);
    const u2 = new Float32Array(n);
    for (let a = 0; a < ws.k; a++) {
      const exps = this.exps(ws.params, a, cells);
      const nw = this.weights.length;
      for (let pix = 0; pix < n; pix++) {
        const m = ws.pooled[a * n + pix];
        const d = dy[a * n + pix];
        const s = d === 0 || m < 0 || m > 1 ? 0 : d / ws.denom[a * n + pix];
        u1[pix] = s * (1 - 20 * m);
        u2[pix] = s * 20;
      }
      for (let i = 0; i < inH; i++) {
        for (let j = 0; j < inW; j++) {
          const cell = i * inW + j;
          const p = ws.params[a * cells + cell];
          let sum = 0;
          for (let ky = 0; ky < R; ky++) {
            const rows = this.rowsOf[i - ky + g.padding];
            if (!rows) continue;
            for (let kx = 0; kx < R; kx++) {
              const cols = this.colsOf[j - kx + g.padding];
              if (!cols) continue;
              let acc = 0;
              for (const y of rows) {
                for (const x of cols) {
                  const wi = this.weightAt(y, x, ky * R + kx);
                  const w = this.weights[wi];
                  const z = f(w * p);
                  const we = f(w * exps[cell * nw + wi]);
                  acc = f(acc + f(f(we * u1[y * outW + x]) + f(f(we * z) * u2[y * outW + x])));
                }
              }
              sum += acc;
            }
          }
          grad[a * cells + i * inW + j] = sum;
        }
      }
    }
    return grad;
  }
}
