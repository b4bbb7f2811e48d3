// What the `similarity` request returns (issue #6, METHODS.md §6): per chosen layer, every image's cell vectors,
// already normalised, packed into one Float32Array, so a hover is a matrix–vector product done where it is shown.
import type { ModelInfo } from '../model/modelTypes';
import type { BackendName } from '../worker/protocol';

/** One layer's normalised activations for all images of the request. */
export interface SimilarityLayer {
  name: string;
  rows: number;
  cols: number;
  channels: number;
  /**
   * `F̂ = F / (‖F‖ + 1e−4)` per cell (METHODS §6.1), laid out [image][row][col][channel] (NHWC, batch = images):
   * images·rows·cols·channels float32 values. Float32, not a 16-bit quantisation: 8 images of 28×28×512 are 12.8 MB,
   * small enough to send once, and exact values keep a cell's self-similarity at 1 to float precision.
   */
  vectors: Float32Array;
  /** True when every activation is ≥ 0 (after a ReLU): cosines then lie in [0, 1], else in [−1, 1]. */
  nonNegative: boolean;
}

/** An image as the model saw it (RGB bytes at the model's input size), for drawing the overlays on. */
export interface SimilarityImage {
  path: string;
  width: number;
  height: number;
  rgb: Uint8Array;
}

export interface SimilarityResult {
  backend: BackendName;
  model: ModelInfo;
  images: SimilarityImage[];
  layers: SimilarityLayer[];
  elapsedMs: number;
}
