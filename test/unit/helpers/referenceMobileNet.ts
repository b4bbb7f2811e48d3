// The shared MobileNet and TorchRay's own input tensors (cat → 285, robin → 15), loaded once per test file by the
// baselines and RISE faithfulness tests, which compare maps on exactly these inputs.
import { after, before } from 'node:test';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/engine/backend/backend';
import { loadModel } from '../../../src/engine/model/loadModel';
import type { EngineModel } from '../../../src/engine/model/modelTypes';
import { REFERENCE_DIR, SHARED_DIR, nchwToNhwc, readRef } from './reference';

export const REFERENCE_IMAGES = [
  { name: 'cat', target: 285, input: path.join(REFERENCE_DIR, 'torchray/components') },
  { name: 'robin', target: 15, input: path.join(REFERENCE_DIR, 'torchray/runs/r4_robin_preserve') },
] as const;

export interface ReferenceMobileNet {
  readonly model: EngineModel;
  /** NHWC input tensors by image name. */
  readonly inputs: Map<string, tf.Tensor4D>;
}

/** Registers before/after hooks that load (and dispose) the model and the reference inputs; read after `before`. */
export function useReferenceMobileNet(): ReferenceMobileNet {
  const fixture = { model: undefined as unknown as EngineModel, inputs: new Map<string, tf.Tensor4D>() };
  before(async () => {
    await initBackend('auto');
    ({ model: fixture.model } = await loadModel({ path: path.join(SHARED_DIR, 'models/mobilenet_v1_025/model.json') }));
    for (const im of REFERENCE_IMAGES) {
      const r = readRef(im.input, 'input.f32');
      const { data, shape } = nchwToNhwc(r.data, r.shape);
      fixture.inputs.set(im.name, tf.tensor4d(data, shape as [number, number, number, number]));
    }
  });
  after(() => {
    tf.dispose([...fixture.inputs.values()]);
    fixture.model.dispose();
  });
  return fixture;
}

/** Pearson correlation of two equally long arrays. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
  ma /= a.length; mb /= b.length;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}
