// Everything of one optimisation step except the network (METHODS.md §1.3–1.8), for a group of areas, on host
// arrays: `prepare` generates the masks (§1.4), perturbs the image (§1.3, §1.6) and mirrors it for jitter (§1.7);
// `finish` takes the network's gradient w.r.t. that batch back through the pyramid, adds the area term (§1.5),
// goes through the generator to the parameters and takes the dampened SGD step and clamp (§1.8). No TF.js here:
// it runs beside the network in the same thread (HostChunk) or in a thread of its own (maskSideWorker.ts).
import { areaTermHost, referenceZeros } from './areaTerm';
import { HostDampenedSgd } from './dampenedSgd';
import { EXTREMAL_FIXED } from './extremalSettings';
import type { HostPyramid } from './hostPyramid';
import type { MaskGenerator, MaskWorkspace } from './maskGenerator';
import type { ExtremalVariant } from './rewards';
import { TorchTies } from './torchTies';

export interface MaskSideFinish {
  areaTerm: Float32Array;
  /** Only when traced: parameters before the step, the gradient of −energy, parameters after. */
  paramsBefore?: Float32Array;
  grad?: Float32Array;
  paramsAfter?: Float32Array;
}

export class MaskSide {
  /** The network's input: [images, H, W, C], images = k (2k for dual: preserved first). */
  readonly batchShape: [number, number, number, number];
  private readonly params: Float32Array;
  private readonly sgd = new HostDampenedSgd(EXTREMAL_FIXED);
  private readonly ws: MaskWorkspace;
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

  constructor(readonly areas: number[], private readonly variant: ExtremalVariant, private readonly generator: MaskGenerator,
    private readonly pyramid: HostPyramid) {
    const g = generator.geometry;
    const k = areas.length;
    const pixels = g.shape[0] * g.shape[1];
    const fullPixels = g.shapeOut[0] * g.shapeOut[1];
    this.params = new Float32Array(k * g.shapeIn[0] * g.shapeIn[1]).fill(EXTREMAL_FIXED.parameterInit);
    this.grad = new Float32Array(this.params.length);
    this.ws = generator.workspace(k);
    this.zeros = areas.map((a) => referenceZeros(fullPixels, a));
    this.cropped = new Float32Array(k * pixels);
    const images = variant === 'dual' ? 2 * k : k;
    this.batchShape = [images, g.shape[0], g.shape[1], pyramid.channels];
    this.batch = new Float32Array(images * pixels * pyramid.channels);
    this.mirrored = new Float32Array(this.batch.length);
    this.dCropped = new Float64Array(k * pixels);
    this.dFull = new Float64Array(k * fullPixels);
    this.ties = new TorchTies(g);
  }

  /** Generates, crops and perturbs; returns the network's input (a view, valid until the next call). */
  prepare(flipped: boolean, capture: boolean): Float32Array {
    const { k, h, w, outW, n, off } = this.dims();
    this.generator.forward(this.params, this.ws);
    const full = this.ws.full;
    for (let a = 0; a < k; a++) {
      for (let y = 0; y < h; y++) {
        const src = a * n + (y + off) * outW + off;
        this.cropped.set(full.subarray(src, src + w), (a * h + y) * w);
      }
    }
    if (capture) this.captured = Float32Array.from(this.cropped);
    // Preserved images first, then deleted ones.
    const del = this.variant === 'delete';
    if (this.variant !== 'delete') this.pyramid.apply(this.cropped, k, false, this.batch, 0);
    if (this.variant !== 'preserve') this.pyramid.apply(this.cropped, k, true, this.batch, del ? 0 : k);
    // The flip is a permutation, done here on the batch and back on its gradient (the same numbers as tf.reverse
    // under tf.grad, whose wasm kernel took about a third of the network's time).
    return flipped ? mirrorColumns(this.batch, this.batchShape[0] * h, w, this.pyramid.channels, this.mirrored) : this.batch;
  }

  /** Backward from `dx`, ∂(Σ rewards)/∂(network input), through the step and clamp. */
  finish(dx: Float32Array, areaWeight: number, flipped: boolean, trace: boolean): MaskSideFinish {
    const { g, k, h, w, outW, n, off } = this.dims();
    const paramsBefore = trace ? Float32Array.from(this.params) : undefined;
    const grad = flipped ? mirrorColumns(dx, this.batchShape[0] * h, w, this.pyramid.channels, this.mirrored) : dx;
    const del = this.variant === 'delete';
    const dCropped = this.dCropped.fill(0);
    if (this.variant !== 'delete') this.pyramid.backward(grad, 0, this.cropped, k, false, 1, dCropped);
    if (this.variant !== 'preserve') this.pyramid.backward(grad, del ? 0 : k, this.cropped, k, true, -1, dCropped);

    // Area term on the full masks (§1.5), plus the reward's gradient placed at the crop.
    const full = this.ws.full;
    const dFull = this.dFull.fill(0);
    const areaTerm = new Float32Array(k);
    const cells = g.shapeIn[0] * g.shapeIn[1];
    for (let a = 0; a < k; a++) {
      const mask = full.subarray(a * n, (a + 1) * n);
      const target = this.ties.reference(mask, this.zeros[a], this.ws.params, a * cells, this.ws.pooled.subarray(a * n, (a + 1) * n));
      areaTerm[a] = areaTermHost(mask, this.zeros[a], areaWeight, dFull.subarray(a * n, (a + 1) * n), target);
      for (let y = 0; y < h; y++) {
        const dst = a * n + (y + off) * outW + off;
        const src = (a * h + y) * w;
        for (let xx = 0; xx < w; xx++) dFull[dst + xx] += dCropped[src + xx];
      }
    }

    // Through the generator to the parameters; SGD minimises −energy (§1.8), then the projection onto [0, 1].
    const dEnergy = this.generator.backward(dFull, this.ws);
    for (let i = 0; i < dEnergy.length; i++) this.grad[i] = -dEnergy[i];
    this.sgd.stepAndClamp(this.params, this.grad, 0, 1);
    return trace ? { areaTerm, paramsBefore, grad: Float32Array.from(this.grad), paramsAfter: Float32Array.from(this.params) } : { areaTerm };
  }

  /** Sizes: k masks of H×W, cropped at `off` from full masks of n = H'×W' pixels. */
  private dims() {
    const g = this.generator.geometry;
    const [h, w] = g.shape;
    const [, outW] = g.shapeOut;
    return { g, k: this.areas.length, h, w, outW, n: g.shapeOut[0] * outW, off: g.cropOffset };
  }

  /** The cropped masks [k·H·W] captured by the last `prepare` that was asked to (null before any). */
  masks(): Float32Array | null {
    return this.captured;
  }
}

/** Rows of `width` pixels of `channels` values, each row mirrored left–right from `src` into `dst` (returned). */
function mirrorColumns(src: Float32Array, rows: number, width: number, channels: number, dst: Float32Array): Float32Array {
  const rowLength = width * channels;
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let x = 0, from = base + rowLength - channels, to = base; x < width; x++, from -= channels, to += channels) {
      if (channels === 3) {
        // RGB unrolled (a third faster).
        dst[to] = src[from];
        dst[to + 1] = src[from + 1];
        dst[to + 2] = src[from + 2];
      } else {
        for (let ch = 0; ch < channels; ch++) dst[to + ch] = src[from + ch];
      }
    }
  }
  return dst;
}
