// The pieces that reproduce TorchRay's float32 rounding and torch.sort's order (extremal area term, METHODS §1.5).
// Expected values were printed by PyTorch 1.13.1 (Debian python3-torch, the reference's build) on this machine:
// torch.exp on a float32 tensor, and torch.sort(...)[1] on the arrays given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torchSortOrder, torchSortSides } from '../../src/engine/methods/extremal/introsort';
import { torchExpf } from '../../src/engine/methods/extremal/torchFloat32';

test('torchExpf gives PyTorch\'s exp where it is not the correctly rounded value', () => {
  // Each of these differs from Math.fround(Math.exp(x)) by one float32 step; torch.exp returns the right column.
  const cases: [number, number][] = [
    [-28.828737258911133, 3.018828676620844e-13], [-12.448883056640625, 3.922101313946769e-6],
    [-7.1011199951171875, 0.0008241813629865646], [-4.412723541259766, 0.012122118845582008],
    [-19.646642684936523, 2.9347524410638925e-9], [-18.46196937561035, 9.595520822358594e-9],
    [-12.19268798828125, 5.067373422207311e-6], [-14.86154556274414, 3.513280262268381e-7],
  ];
  for (const [x, want] of cases) {
    assert.equal(torchExpf(x), Math.fround(want), `exp(${x})`);
    assert.notEqual(Math.fround(Math.exp(x)), Math.fround(want), `exp(${x}) should be a case where rounding differs`);
  }
});

test('torchExpf stays within one float32 step of exp over the range the generator uses', () => {
  for (let i = 0; i <= 20000; i++) {
    const x = Math.fround(-40 + i * 0.002);
    const got = torchExpf(x);
    const exact = Math.exp(x);
    const ulp = 2 ** (Math.floor(Math.log2(exact)) - 23);
    assert.ok(Math.abs(got - exact) <= ulp, `exp(${x}) = ${got}, want ${exact}`);
  }
  assert.equal(torchExpf(0), 1);
});

test('torchSortOrder places equal values where torch.sort does', () => {
  const small = [3, 1, 2, 2, 1, 3, 0, 2, 1, 1, 2, 3, 0, 0, 2, 1, 3, 2, 2, 1, 0, 1, 2, 3, 1, 2, 0, 2, 1, 3, 2, 2, 1, 1, 0, 2, 1, 2, 3, 1];
  assert.deepEqual(Array.from(torchSortOrder(Float32Array.from(small))),
    [34, 6, 26, 20, 12, 13, 39, 36, 33, 32, 28, 24, 21, 19, 15, 4, 9, 1, 8, 25, 2, 3, 31, 30, 35, 27, 7, 37, 22, 10, 18, 17, 14, 0, 38, 29, 5, 23, 11, 16]);
  const hundred = Float32Array.from({ length: 100 }, (_, i) => (i * 37) % 11);
  assert.deepEqual(Array.from(torchSortOrder(hundred)), [
    99, 33, 22, 88, 44, 77, 0, 55, 11, 66, 25, 36, 47, 58, 14, 69, 80, 91, 3, 61, 72, 83, 39, 94, 28, 50, 6, 17, 53, 64, 42,
    97, 20, 9, 75, 31, 86, 23, 89, 34, 78, 67, 1, 12, 45, 56, 26, 92, 15, 59, 4, 81, 70, 48, 37, 84, 51, 29, 7, 18, 62, 40,
    95, 73, 98, 10, 21, 76, 87, 32, 43, 65, 54, 68, 35, 90, 13, 46, 79, 57, 2, 24, 93, 5, 27, 82, 71, 60, 16, 49, 38, 85, 8,
    74, 63, 52, 19, 96, 41, 30]);
});

test('torchSortOrder sorts and permutes on inputs of every shape', () => {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  // Sorted, reversed, few distinct values, an organ pipe (a poor case for median-of-three pivots), and one short run.
  const inputs = [
    Float32Array.from({ length: 5000 }, (_, i) => i),
    Float32Array.from({ length: 5000 }, (_, i) => -i),
    Float32Array.from({ length: 5000 }, () => Math.floor(rand() * 4)),
    Float32Array.from({ length: 4096 }, (_, i) => (i < 2048 ? i : 4095 - i)),
    Float32Array.from({ length: 17 }, () => rand()),
  ];
  for (const v of inputs) {
    const order = torchSortOrder(v);
    const seen = new Uint8Array(v.length);
    for (let j = 0; j < v.length; j++) {
      seen[order[j]]++;
      if (j > 0) assert.ok(v[order[j - 1]] <= v[order[j]], `not sorted at ${j}`);
    }
    assert.ok(seen.every((c) => c === 1), 'not a permutation');
    // Following only the part that holds the boundary gives the full sort's sides, at every boundary tried.
    for (const zeros of [1, Math.floor(v.length / 3), Math.floor(v.length / 2), v.length - 1]) {
      const sides = torchSortSides(v.length, (a, b) => v[a] < v[b], zeros);
      for (let j = 0; j < v.length; j++) assert.equal(sides[order[j]], j >= zeros ? 1 : 0, `boundary ${zeros}, position ${j}`);
    }
  }
});
