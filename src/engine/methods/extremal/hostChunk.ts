// The optimisation step with everything but the network on the host (METHODS.md §1.3–1.8): the mask generator's
// forward and analytic backward, the pyramid interpolation and its gradient, the area term by selection instead of
// a sort, and the dampened SGD step, all over preallocated Float32/Float64 arrays. Only the perturbed batch goes
// through TF.js, for the network's forward and input gradient. Same arithmetic as `TensorChunk` (agreement tested
// step by step), without the wasm backend's many small ops and tensor round trips on 260×260 masks.
import * as tf from '@tensorflow/tfjs-core';
import { areaTermHost, referenceZeros } from './areaTerm';
import type { ChunkContext, ChunkOptimizer, ChunkStep } from './chunkOptimizer';
import { HostDampenedSgd } from './dampenedSgd';
import { EXTREMAL_FIXED } from './extremalSettings';
import { HostPyramid } from './hostPyramid';
import type { MaskWorkspace } from './maskGenerator';
import { extremalReward } from './rewards';
import { TorchTies } from './torchTies';

export class HostChunk implements ChunkOptimizer {
  private readonly params: Float32Array;
  private readonly sgd = new HostDampenedSgd(EXTREMAL_FIXED);
  private readonly ws: MaskWorkspace;
  private readonly pyramid: HostPyramid;
  private readonly zeros: number[];
  private readonly cropped: Float32Array;
  private readonly batch: Float32Array;
  /** The batch mirrored left–right (jitter, §1.7), and the network's gradient mirrored back. */
  private readonly mirrored: Float32Array;
  /** ∂energy/∂(cropped masks) and ∂energy/∂(full masks). */
  private readonly dCropped: Float64Array;
  private readonly dFull: Float64Array;
  private readonly grad: Float32Array;
  private captured: Float32Array | null = null;
  /** Places the area term's ties as torch.sort does. */
  private readonly ties: TorchTies;

  constructor(readonly indices: number[], readonly areas: number[], private readonly ctx: ChunkContext, pyramid: HostPyramid) {
    const g = ctx.generator.geometry;
    const k = indices.length;
    const pixels = g.shape[0] * g.shape[1];
    const fullPixels = g.shapeOut[0] * g.shapeOut[1];
    this.params = new Float32Array(k * g.shapeIn[0] * g.shapeIn[1]).fill(EXTREMAL_FIXED.parameterInit);
    this.grad = new Float32Array(this.params.length);
    this.ws = ctx.generator.workspace(k);
    this.pyramid = pyramid;
    this.zeros = areas.map((a) => referenceZeros(fullPixels, a));
    this.cropped = new Float32Array(k * pixels);
    const images = ctx.settings.variant === 'dual' ? 2 * k : k;
    this.batch = new Float32Array(images * pixels * pyramid.channels);
    this.mirrored = new Float32Array(this.batch.length);
    this.dCropped = new Float64Array(k * pixels);
    this.dFull = new Float64Array(k * fullPixels);
    this.ties = new TorchTies(g);
  }

  step(areaWeight: number, flipped: boolean, capture: boolean, trace: boolean): ChunkStep {
    const { model, target, settings: s, generator } = this.ctx;
    const g = generator.geometry;
    const k = this.indices.length;
    const [h, w] = g.shape;
    const [, outW] = g.shapeOut;
    const n = g.shapeOut[0] * outW;
    const off = g.cropOffset;
    const paramsBefore = trace ? Float32Array.from(this.params) : undefined;

    // Generate (§1.4) and crop.
    generator.forward(this.params, this.ws);
    const full = this.ws.full;
    for (let a = 0; a < k; a++) {
      for (let y = 0; y < h; y++) {
        const src = a * n + (y + off) * outW + off;
        this.cropped.set(full.subarray(src, src + w), (a * h + y) * w);
      }
    }
    if (capture) this.captured = Float32Array.from(this.cropped);

    // Perturb (§1.3, §1.6): preserved images first, then deleted ones.
    const del = s.variant === 'delete';
    if (s.variant !== 'delete') this.pyramid.apply(this.cropped, k, false, this.batch, 0);
    if (s.variant !== 'preserve') this.pyramid.apply(this.cropped, k, true, this.batch, del ? 0 : k);

    // The network: reward per area and its gradient w.r.t. the (unflipped) batch. The flip (§1.7) is done here on
    // the host, on the batch and back on its gradient (a permutation: the same numbers as tf.reverse under tf.grad,
    // whose wasm kernel took about a third of the network's time).
    let reward = new Float32Array(0);
    let logits: Float32Array | undefined;
    const c = this.pyramid.channels;
    const images = this.batch.length / (h * w * c);
    if (flipped) mirrorColumns(this.batch, images * h, w, c, this.mirrored);
    const x = tf.tensor4d(flipped ? this.mirrored : this.batch, [images, h, w, c]);
    const dx = tf.tidy(() => tf.grad((xi: tf.Tensor) => {
      const y = model.logits(xi as tf.Tensor4D);
      if (trace) logits = Float32Array.from(y.dataSync());
      const r = extremalReward(y, target, s.variant, s.reward);
      reward = Float32Array.from(r.dataSync());
      return tf.sum(r);
    })(x));
    let dxData = dx.dataSync() as Float32Array;
    if (flipped) dxData = mirrorColumns(dxData, images * h, w, c, this.mirrored);
    const dCropped = this.dCropped.fill(0);
    if (s.variant !== 'delete') this.pyramid.backward(dxData, 0, this.cropped, k, false, 1, dCropped);
    if (s.variant !== 'preserve') this.pyramid.backward(dxData, del ? 0 : k, this.cropped, k, true, -1, dCropped);
    tf.dispose([x, dx]);

    // Area term on the full masks (§1.5), plus the reward's gradient placed at the crop.
    const dFull = this.dFull.fill(0);
    const regul = new Float32Array(k);
    const cells = g.shapeIn[0] * g.shapeIn[1];
    for (let a = 0; a < k; a++) {
      const mask = full.subarray(a * n, (a + 1) * n);
      const target = this.ties.reference(mask, this.zeros[a], this.ws.params, a * cells, this.ws.pooled.subarray(a * n, (a + 1) * n));
      regul[a] = areaTermHost(mask, this.zeros[a], areaWeight, dFull.subarray(a * n, (a + 1) * n), target);
      for (let y = 0; y < h; y++) {
        const dst = a * n + (y + off) * outW + off;
        const src = (a * h + y) * w;
        for (let xx = 0; xx < w; xx++) dFull[dst + xx] += dCropped[src + xx];
      }
    }

    // Through the generator to the parameters; SGD minimises −energy (§1.8), then the projection onto [0, 1].
    const dEnergy = generator.backward(dFull, this.ws);
    for (let i = 0; i < dEnergy.length; i++) this.grad[i] = -dEnergy[i];
    this.sgd.stepAndClamp(this.params, this.grad, 0, 1);
    const out: ChunkStep = { reward, areaTerm: regul, logits };
    if (trace) Object.assign(out, { paramsBefore, grad: Float32Array.from(this.grad), paramsAfter: Float32Array.from(this.params) });
    return out;
  }

  masks(): Float32Array | null {
    return this.captured;
  }

  dispose(): void {
    // Host arrays only.
  }
}

/** Rows of `width` pixels of `channels` values, each row mirrored left–right from `src` into `dst` (returned). */
function mirrorColumns(src: Float32Array, rows: number, width: number, channels: number, dst: Float32Array): Float32Array {
  const rowLength = width * channels;
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let x = 0; x < width; x++) {
      const from = base + (width - 1 - x) * channels;
      const to = base + x * channels;
      for (let ch = 0; ch < channels; ch++) dst[to + ch] = src[from + ch];
    }
  }
  return dst;
}
