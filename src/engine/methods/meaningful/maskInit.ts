// Initial parameter mask of meaningful perturbation (METHODS.md §2.8): MP-caffe starts from uniform [0, 1) noise
// (seeded here, §0.8), MP-jg from ones, MP-torch from 0.5.
import { SeededRandom } from '../../datasets/seededRandom';
import type { MaskInit } from './settings';

export function initialMask(kind: MaskInit, height: number, width: number, rng: SeededRandom): Float32Array {
  const m = new Float32Array(height * width);
  if (kind === 'ones') m.fill(1);
  else if (kind === 'half') m.fill(0.5);
  else for (let i = 0; i < m.length; i++) m[i] = rng.next();
  return m;
}
