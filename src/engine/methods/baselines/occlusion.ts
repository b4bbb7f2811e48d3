// Occlusion (Zeiler & Fergus) as in Fong's MP-caffe `occlusion_mask.py` (METHODS.md §3.9; TorchRay has none): slide a
// square patch filled with `fill` (0 = the mean colour / grey in the normalised input space, §0.3) over the image;
// each pixel's saliency is the clean logit minus the mean logit of the occluded images whose patch covers it, so
// positive = important.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';
import type { AttributionInput, AttributionMethod, AttributionResult, RunContext } from '../attributionMethod';
import { checkAttributionInput, throwIfCancelled } from './saliencyCommon';
import { numberSetting, rejectUnknownKeys, type PartialSettings } from './settingsValidation';

export interface OcclusionSettings {
  /** Side of the square occluder in pixels (default 35). */
  patchSize: number;
  /** Distance between occluder positions in pixels; default min(H, W)/28, i.e. 28 positions per side (8 for 224). */
  stride: number;
  /**
   * Occluded images per forward pass. Default 32, not MP-caffe's 64: the result is the same, and on wasm a larger
   * batch only costs memory (the per-image time is flat from 16 up).
   */
  batchSize: number;
  /** Value written into the occluded patch, in the model's input space (default 0). */
  fill: number;
}

const NAME = 'occlusion';

/**
 * Top-left offsets along one axis: ⌊i·stride⌋ for i = 0, 1, … while < length — the reference's
 * `int(linspace(0, H, 28, endpoint=False))` for stride = H/28.
 */
export function occluderOffsets(length: number, stride: number): number[] {
  const n = Math.ceil(length / stride - 1e-9);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.floor(i * stride));
  return out;
}

export const occlusionMethod: AttributionMethod<OcclusionSettings> = {
  name: NAME,
  resolveSettings(partial: Partial<OcclusionSettings>, input: AttributionInput): OcclusionSettings {
    const p = partial as PartialSettings;
    rejectUnknownKeys(NAME, p, ['patchSize', 'stride', 'batchSize', 'fill']);
    checkAttributionInput(NAME, input);
    const [h, w] = input.model.info.inputShape;
    const side = Math.min(h, w);
    const patchSize = numberSetting(NAME, p, 'patchSize', Math.min(35, side), { integer: true, min: 1, max: side });
    const stride = numberSetting(NAME, p, 'stride', side / 28, { min: 0, exclusiveMin: true, max: side });
    // A stride larger than the patch would leave pixels that no occluder covers.
    if (stride > patchSize)
      throw new EngineError('BAD_ARGUMENT', `${NAME}: 'stride' (${stride}) must not exceed 'patchSize' (${patchSize}), or some pixels are never occluded.`);
    return {
      patchSize, stride,
      batchSize: numberSetting(NAME, p, 'batchSize', 32, { integer: true, min: 1, max: 1024 }),
      fill: numberSetting(NAME, p, 'fill', 0),
    };
  },
  async run(input: AttributionInput, settings: OcclusionSettings, ctx: RunContext): Promise<AttributionResult> {
    const t0 = Date.now();
    const { model, input: x, target } = input;
    const [h, w] = model.info.inputShape;
    const { patchSize: k, batchSize, fill } = settings;
    const ys = occluderOffsets(h, settings.stride), xs = occluderOffsets(w, settings.stride);
    const positions = ys.flatMap((oy) => xs.map((ox) => [oy, ox] as const));
    const total = Math.ceil(positions.length / batchSize);
    const sum = new Float64Array(h * w), count = new Uint32Array(h * w);
    const originalT = tf.tidy(() => tf.slice(model.logits(x), [0, target], [1, 1]));
    const original = (await originalT.data())[0];
    originalT.dispose();
    for (let b = 0; b < total; b++) {
      throwIfCancelled(ctx);
      const batch = positions.slice(b * batchSize, (b + 1) * batchSize);
      // keep = 0 inside each occluder (clipped at the border), 1 elsewhere.
      const keep = new Float32Array(batch.length * h * w).fill(1);
      batch.forEach(([oy, ox], j) => {
        for (let y = oy; y < Math.min(oy + k, h); y++) keep.fill(0, (j * h + y) * w + ox, (j * h + y) * w + Math.min(ox + k, w));
      });
      const scoresT = tf.tidy(() => {
        const m = tf.tensor4d(keep, [batch.length, h, w, 1]);
        const occluded = tf.add(tf.mul(x, m), tf.mul(tf.sub(1, m), fill)) as tf.Tensor4D;
        return tf.squeeze(tf.slice(model.logits(occluded), [0, target], [-1, 1]), [1]);
      });
      const scores = await scoresT.data();
      scoresT.dispose();
      batch.forEach(([oy, ox], j) => {
        for (let y = oy; y < Math.min(oy + k, h); y++)
          for (let u = y * w + ox, end = y * w + Math.min(ox + k, w); u < end; u++) { sum[u] += scores[j]; count[u]++; }
      });
      ctx.onProgress?.({ step: b, total });
      await new Promise<void>((r) => setImmediate(r));
    }
    // saliency = −heat = Φ_c(x) − mean of the covering occluders' scores (the mean uses the actual count at edges).
    const data = new Float32Array(h * w);
    for (let u = 0; u < data.length; u++) data[u] = count[u] ? original - sum[u] / count[u] : 0;
    return {
      method: NAME, target, settings: { ...settings }, maps: [{ name: NAME, width: w, height: h, data }],
      scores: { original }, elapsedMs: Date.now() - t0,
    };
  },
};
