// Float32 arithmetic exactly as the reference (TorchRay on PyTorch's CPU kernels, AVX2 build) rounds it, for the
// few places where the last bit decides an outcome: which of the area term's tied mask values torch.sort puts
// where (METHODS.md §1.5, §0.7). Verified bit for bit against PyTorch 1.13 (mask_full_from_ones.f32, mask_full.f32).
const f = Math.fround;

const R_LN2 = f(1.442695040888963407359924681001892137426645954152985934135449406931);
const L2U = f(0.693145751953125);
const L2L = f(1.428606765330187045e-6);
const POLY = [
  0.000198527617612853646278381, 0.00139304355252534151077271, 0.00833336077630519866943359,
  0.0416664853692054748535156, 0.166666671633720397949219, 0.5,
].map(f);

/** Fused multiply-add in float32: a·b is exact in float64, so one rounding of a·b + c (double rounding is ~2⁻²⁹ rare). */
const fma = (a: number, b: number, c: number): number => f(a * b + c);

/** Round half to even, as `cvtps2dq` does. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * exp in float32 as PyTorch's vectorised `exp` computes it (SLEEF `expf8_u10`, AVX2 with FMA): not always the
 * correctly rounded value that `Math.fround(Math.exp(x))` gives (they differ in ~8 % of the generator's weights).
 */
export function torchExpf(x: number): number {
  const d = f(x);
  if (d < -104) return 0;
  if (d > 100) return Infinity;
  const q = rint(f(d * R_LN2));
  let s = fma(q, -L2U, d);
  s = fma(q, -L2L, s);
  let u = POLY[0];
  for (let i = 1; i < POLY.length; i++) u = fma(u, s, POLY[i]);
  u = f(1 + fma(f(s * s), u, s));
  const h = q >> 1; // ldexp in two halves, like vldexp2
  return f(f(u * 2 ** h) * 2 ** (q - h));
}

/**
 * `tensor.sum(dim)` over a reduced dimension of `n` strided values, as PyTorch's cascade sum orders the additions
 * for one output column: `vector` for the columns its vectorised outer reduction handles (chunks of 16 rows summed
 * in order, the chunk sums accumulated, the rest added first), otherwise the scalar `row_sum` with 4 interleaved
 * accumulators. Both in float32.
 */
export function torchColumnSum(value: (i: number) => number, n: number, vector: boolean): number {
  return vector ? cascade(value, n, 1)[0] : rowSum(value, n);
}

/** PyTorch's multi_row_sum: `rows` interleaved accumulators over `size` rows of `rows` values (level step 16). */
function cascade(value: (i: number) => number, size: number, rows: number): number[] {
  const levelPower = Math.max(4, Math.floor(ceilLog2(size) / 4));
  const levelStep = 1 << levelPower;
  const levelMask = levelStep - 1;
  const acc = [0, 1, 2, 3].map(() => new Array<number>(rows).fill(0));
  let i = 0;
  for (; i + levelStep <= size;) {
    for (let j = 0; j < levelStep; j++, i++) for (let k = 0; k < rows; k++) acc[0][k] = f(acc[0][k] + value(i * rows + k));
    for (let j = 1; j < 4; j++) {
      for (let k = 0; k < rows; k++) {
        acc[j][k] = f(acc[j][k] + acc[j - 1][k]);
        acc[j - 1][k] = 0;
      }
      if ((i & (levelMask << (j * levelPower))) !== 0) break;
    }
  }
  for (; i < size; i++) for (let k = 0; k < rows; k++) acc[0][k] = f(acc[0][k] + value(i * rows + k));
  for (let j = 1; j < 4; j++) for (let k = 0; k < rows; k++) acc[0][k] = f(acc[0][k] + acc[j][k]);
  return acc[0];
}

function rowSum(value: (i: number) => number, n: number): number {
  const ilp = 4;
  const sizeIlp = Math.floor(n / ilp);
  const partial = cascade(value, sizeIlp, ilp);
  for (let i = sizeIlp * ilp; i < n; i++) partial[0] = f(partial[0] + value(i));
  for (let k = 1; k < ilp; k++) partial[0] = f(partial[0] + partial[k]);
  return partial[0];
}

/** c10's CeilLog2: 1 for x ≤ 2. */
function ceilLog2(x: number): number {
  return x <= 2 ? 1 : 32 - Math.clz32(x - 1);
}
