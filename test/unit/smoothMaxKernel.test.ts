// The mask generator's WebAssembly SIMD kernel (smoothMaxKernel.wat) against its JavaScript loops (METHODS.md
// §1.4): forward (smooth-max masks) and backward (gradient w.r.t. the parameters) on random parameters, several
// geometries (non-square, non-default step and sigma, sigma below the step, step 1) and parameter patterns
// (all strictly inside (0, 1), blocks of exact 0s and 1s as settled masks have, the constant start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../src/engine/errors';
import { MaskGenerator } from '../../src/engine/methods/extremal/maskGenerator';
import { smoothMaxKernelAvailable } from '../../src/engine/methods/extremal/smoothMaxKernel';
import { SeededRandom } from '../../src/engine/datasets/seededRandom';
import { type ParameterPattern, maskParameters } from './helpers/maskParameters';

const GEOMETRIES: [number, number, number, number][] = [
  [224, 224, 7, 21], // the default (MobileNet input, TorchRay's step and sigma)
  [100, 80, 5, 11],
  [61, 47, 3, 4.5],
  [40, 40, 8, 3],
  [24, 18, 1, 2],
];

// First in the file: the kernel is compiled (and kept) on first use, so this runs before any generator exists.
test('where WebAssembly SIMD does not validate, the generator falls back to the JavaScript loops', () => {
  const validate = WebAssembly.validate;
  WebAssembly.validate = () => false;
  try {
    assert.equal(smoothMaxKernelAvailable(), false);
    assert.equal(new MaskGenerator(64, 64, 7, 21).kernel, 'js');
    assert.throws(() => new MaskGenerator(64, 64, 7, 21, 'wasm'), (e: unknown) => e instanceof EngineError && e.code === 'BAD_ARGUMENT');
  } finally {
    WebAssembly.validate = validate;
  }
});

test('the wasm kernel is available on this Node (WebAssembly SIMD) and selected by default', () => {
  assert.ok(smoothMaxKernelAvailable());
  assert.equal(new MaskGenerator(64, 64, 7, 21).kernel, 'wasm');
  assert.equal(new MaskGenerator(64, 64, 7, 21, 'js').kernel, 'js');
});

for (const [height, width, step, sigma] of GEOMETRIES) {
  test(`wasm kernel = JavaScript loops, ${height}×${width}, step ${step}, sigma ${sigma}`, (t) => {
    const js = new MaskGenerator(height, width, step, sigma, 'js');
    const wasm = new MaskGenerator(height, width, step, sigma, 'wasm');
    const g = js.geometry;
    const k = 2;
    const [h, w] = g.shapeIn;
    const n = g.shapeOut[0] * g.shapeOut[1];
    const rng = new SeededRandom(height * 1000 + step * 10 + sigma);
    const rnd = () => rng.next();
    for (const pattern of ['uniform', 'settled', 'half'] as ParameterPattern[]) {
      const p = maskParameters(k, h, w, pattern, rnd);
      const wsJ = js.workspace(k);
      const wsW = wasm.workspace(k);
      js.forward(p, wsJ);
      wasm.forward(p, wsW);
      // Forward: the masks are weighted means of z ∈ [0, 1] with weights e = exp(20·z); the kernel computes each e
      // in float32 (~1 ulp, 6e-8 relative) and sums in float64 like the loops (which tabulate e in float64), so the
      // masks differ by ~1e-7 (measured ≤ 9e-8). 1e-6 leaves a 10× margin; an indexing or exp error is ≥ 1e-3.
      let dm = 0;
      for (let i = 0; i < k * n; i++) dm = Math.max(dm, Math.abs(wsJ.pooled[i] - wsW.pooled[i]));
      assert.ok(dm <= 1e-6, `${pattern}: max |Δ mask| ${dm}`);
      assert.deepEqual(Array.from(wsW.params), Array.from(p));

      // Backward with dy in [−1, 1] (a quarter exactly 0, like pixels the reward and area term leave alone).
      const dy = Float64Array.from({ length: k * n }, () => (rnd() < 0.25 ? 0 : 2 * rnd() - 1));
      const gJ = js.backward(dy, wsJ);
      const gW = wasm.backward(dy, wsW);
      // Each gradient is a sum of R²·step² terms w·e/Σe·dy·(1 + 20·(z − m)) of either sign (up to 21·|dy| each,
      // cancelling), summed in float32 over the classes of a tap; the masks' ~1e-7 difference enters amplified
      // 20× through 20·(z − m). Measured: ≤ 1.1e-6 of the largest gradient (max and relative L2) on every geometry
      // here; 1e-5 leaves a 10× margin, while a wrong tap, class or block offset changes the gradient by O(1).
      let dg = 0;
      let gmax = 0;
      let num = 0;
      let den = 0;
      for (let i = 0; i < gJ.length; i++) {
        dg = Math.max(dg, Math.abs(gJ[i] - gW[i]));
        gmax = Math.max(gmax, Math.abs(gJ[i]));
        num += (gJ[i] - gW[i]) ** 2;
        den += gJ[i] ** 2;
      }
      const relL2 = Math.sqrt(num / den);
      t.diagnostic(`${pattern}: max |Δ mask| ${dm.toExponential(2)}; gradient max |Δ| ${(dg / gmax).toExponential(2)} of max |g|, rel L2 ${relL2.toExponential(2)}`);
      assert.ok(gmax > 0, 'the gradient is not all zero');
      assert.ok(dg <= 1e-5 * gmax, `${pattern}: gradient max |Δ| ${dg} vs max |g| ${gmax}`);
      assert.ok(relL2 <= 1e-5, `${pattern}: gradient relative L2 difference ${relL2}`);
    }
  });
}

test('wasm kernel: a workspace is reused across iterations without state leaking between calls', () => {
  const js = new MaskGenerator(100, 80, 5, 11, 'js');
  const wasm = new MaskGenerator(100, 80, 5, 11, 'wasm');
  const [h, w] = js.geometry.shapeIn;
  const rng = new SeededRandom(7);
  const rnd = () => rng.next();
  const wsW = wasm.workspace(3);
  for (let it = 0; it < 3; it++) {
    const p = maskParameters(3, h, w, it === 1 ? 'settled' : 'uniform', rnd);
    const wsJ = js.workspace(3);
    js.forward(p, wsJ);
    wasm.forward(p, wsW);
    let dm = 0;
    for (let i = 0; i < wsJ.pooled.length; i++) dm = Math.max(dm, Math.abs(wsJ.pooled[i] - wsW.pooled[i]));
    assert.ok(dm <= 1e-6, `iteration ${it}: max |Δ mask| ${dm}`);
  }
});
