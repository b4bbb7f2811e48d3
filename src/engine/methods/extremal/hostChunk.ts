// The optimisation step with everything but the network on the host (METHODS.md §1.3–1.8; maskSide.ts), in the
// network's thread: only the perturbed batch goes through TF.js, for the network's forward and input gradient. Same
// arithmetic as `TensorChunk` (agreement tested step by step), without the wasm backend's many small ops and tensor
// round trips on 260×260 masks.
import type { ChunkContext, ChunkOptimizer, ChunkStep } from './chunkOptimizer';
import type { HostPyramid } from './hostPyramid';
import { MaskSide } from './maskSide';
import { networkStep } from './networkStep';

export class HostChunk implements ChunkOptimizer {
  private readonly side: MaskSide;

  constructor(readonly indices: number[], readonly areas: number[], private readonly ctx: ChunkContext, pyramid: HostPyramid) {
    this.side = new MaskSide(areas, ctx.settings.variant, ctx.generator, pyramid);
  }

  step(areaWeight: number, flipped: boolean, capture: boolean, trace: boolean): ChunkStep {
    const input = this.side.prepare(flipped, capture);
    const net = networkStep(this.ctx, input, this.side.batchShape, trace);
    const done = this.side.finish(net.dx, areaWeight, flipped, trace);
    return { reward: net.reward, logits: net.logits, ...done };
  }

  masks(): Float32Array | null {
    return this.side.masks();
  }

  dispose(): void {
    // Host arrays only.
  }
}
