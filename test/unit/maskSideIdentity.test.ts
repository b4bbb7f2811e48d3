// The extremal loop's mask side must not move a bit when it is made faster (METHODS.md §1.3–1.8): the optimisation
// is chaotic, so the hist, the masks and the scores are only reproducible if every float of every step is. The
// generator's WebAssembly kernel is checked against its scalar restatement (helpers/smoothMaxReference.ts), alone
// on several geometries and parameter patterns, and inside MaskSide over whole runs of steps (three areas, one
// MaskSide each as in the mask thread, jitter flips, every variant) with a pseudo-random network gradient, where
// the pyramid's WebAssembly kernel also meets its JavaScript loops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { areaWeightAt } from '../../src/engine/methods/extremal/areaTerm';
import { HostPyramid } from '../../src/engine/methods/extremal/hostPyramid';
import { MaskGenerator } from '../../src/engine/methods/extremal/maskGenerator';
import { MaskSide } from '../../src/engine/methods/extremal/maskSide';
import type { ExtremalVariant } from '../../src/engine/methods/extremal/rewards';
import { REFERENCE_DIR, nchwToNhwc, readRef } from './helpers/reference';
import { SeededRandom } from '../../src/engine/datasets/seededRandom';
import { type ParameterPattern, maskParameters } from './helpers/maskParameters';
import { ReferenceGenerator } from './helpers/smoothMaxReference';

/** Index of the first element whose bits differ (−0 ≠ 0, NaN = NaN), or −1. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function assertSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const i = firstDifference(actual, expected);
  assert.equal(i, -1, `${what}: element ${i} is ${actual[i]}, the reference gives ${expected[i]}`);
}

const GEOMETRIES: [number, number, number, number][] = [
  [224, 224, 7, 21],
  [100, 80, 5, 11],
  [61, 47, 3, 4.5],
  [40, 40, 8, 3],
  [24, 18, 1, 2],
];

for (const [height, width, step, sigma] of GEOMETRIES) {
  test(`wasm generator kernel = its scalar reference bit for bit, ${height}×${width}, step ${step}, sigma ${sigma}`, () => {
    const fast = new MaskGenerator(height, width, step, sigma, 'wasm');
    const reference = new ReferenceGenerator(height, width, step, sigma);
    const g = fast.geometry;
    const [h, w] = g.shapeIn;
    const n = g.shapeOut[0] * g.shapeOut[1];
    const rng = new SeededRandom(height * 1000 + step);
    const rnd = () => rng.next();
    const patterns: ParameterPattern[] = height === 224 ? ['uniform', 'settled', 'ones'] : ['uniform', 'settled', 'half', 'ones'];
    for (const pattern of patterns) {
      const p = maskParameters(2, h, w, pattern, rnd);
      const wsF = fast.workspace(2);
      const wsR = reference.workspace(2);
      fast.forward(p, wsF);
      reference.forward(p, wsR);
      assertSame(wsF.pooled, wsR.pooled, `${pattern}: smooth max`);
      assertSame(wsF.denom, wsR.denom, `${pattern}: Σe`);
      assertSame(wsF.full, wsR.full, `${pattern}: full mask`);
      const dy = Float64Array.from({ length: 2 * n }, () => (rnd() < 0.25 ? 0 : 2 * rnd() - 1));
      assertSame(fast.backward(dy, wsF), reference.backward(dy, wsR), `${pattern}: gradient`);
      // The kernel keeps a forward pass's exps for its backward in a few slots; once other masks have taken them
      // all it computes them again, to the same bits.
      const other = fast.workspace(3);
      for (let i = 0; i < 2; i++) fast.forward(maskParameters(3, h, w, 'uniform', rnd), other);
      assertSame(fast.backward(dy, wsF), reference.backward(dy, wsR), `${pattern}: gradient after the kernel's exps were reused`);
    }
  });
}

const PYRAMID = path.join(REFERENCE_DIR, 'torchray/components');

/**
 * TorchRay's blur pyramid of the cat image ([L, H, W, C]), or a smooth synthetic one without ../shared; on the
 * WebAssembly kernel, or (`kernel` false) on the JavaScript loops.
 */
function pyramid(kernel: boolean): HostPyramid {
  if (existsSync(path.join(PYRAMID, 'pyramid.f32'))) {
    const { data, shape } = nchwToNhwc(readRef(PYRAMID, 'pyramid.f32').data, readRef(PYRAMID, 'pyramid.f32').shape);
    return new HostPyramid({ levels: data, shape: shape as [number, number, number, number] }, kernel);
  }
  const [L, H, W, C] = [8, 224, 224, 3];
  const levels = Float32Array.from({ length: L * H * W * C }, (_, i) => Math.sin(i / 977) * Math.cos(i / 5003) * (1 + (i % 7) / 10));
  return new HostPyramid({ levels, shape: [L, H, W, C] }, kernel);
}

const AREAS = [0.05, 0.1, 0.2];
/** Steps per variant: enough for the parameters to leave the all-ones start (ties) and spread. */
const STEPS: Record<ExtremalVariant, number> = { preserve: 10, delete: 8, dual: 30 };

for (const variant of ['preserve', 'delete', 'dual'] as ExtremalVariant[]) {
  test(`MaskSide (${variant}, areas ${AREAS.join(', ')}) = the same steps on the reference generator, bit for bit`, () => {
    const fast = new MaskGenerator(224, 224, 7, 21, 'wasm');
    const reference = new ReferenceGenerator(224, 224, 7, 21);
    // One MaskSide per area sharing one generator and pyramid, prepared and finished in turn as the mask thread
    // does; the reference on the scalar generator and the pyramid's JavaScript loops.
    const levels = pyramid(true);
    const refLevels = pyramid(false);
    const sides = AREAS.map((a) => new MaskSide([a], variant, fast, levels));
    const refs = AREAS.map((a) => new MaskSide([a], variant, reference, refLevels));
    const inputs = sides.map((s) => Float32Array.from(s.prepare(true, true)));
    const refInputs = refs.map((s) => Float32Array.from(s.prepare(true, true)));
    for (let t = 0; t < STEPS[variant]; t++) {
      const flipped = t % 2 === 0;
      for (let a = 0; a < AREAS.length; a++) {
        const where = `step ${t}, area ${AREAS[a]}`;
        assertSame(inputs[a], refInputs[a], `${where}: perturbed batch`);
        assertSame(sides[a].masks()!, refs[a].masks()!, `${where}: mask`);
        // A stand-in for the network's input gradient: smooth in space, noisy, and a function of the batch.
        const rng = new SeededRandom(t * 31 + a);
        const rnd = () => rng.next();
        const dx = Float32Array.from(inputs[a], (v, i) => {
          const p = Math.floor(i / 3) % (224 * 224);
          return 0.01 * Math.sin((p % 224) / 17 + Math.floor(p / 224) / 23 + (i % 3) + t / 5) * Math.cos(3 * v) + 0.01 * (rnd() - 0.5);
        });
        const got = sides[a].finish(dx, areaWeightAt(t), flipped, true);
        const want = refs[a].finish(dx, areaWeightAt(t), flipped, true);
        assertSame(got.areaTerm, want.areaTerm, `${where}: area term`);
        assertSame(got.grad!, want.grad!, `${where}: parameter gradient`);
        assertSame(got.paramsAfter!, want.paramsAfter!, `${where}: parameters after the step`);
        const next = (t + 1) % 2 === 0;
        inputs[a].set(sides[a].prepare(next, true));
        refInputs[a].set(refs[a].prepare(next, true));
      }
    }
  });
}
