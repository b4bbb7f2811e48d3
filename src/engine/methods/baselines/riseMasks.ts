// RISE masks from binary grids and shifts, as TorchRay's `_upsample_reflect` + crop (METHODS.md §3.8): reflect-pad
// the s×s grid by 1, bilinear (align_corners=False) to cu·(s+2), keep [cu, cu+up), then crop H×W at the shift.
//
// Bilinear resizing is separable, so each mask is `Wy · G · Wxᵀ` with small interpolation matrices that already
// include the reflect padding and the crop ([H, s] and [W, s]): one batched matMul instead of upsampling to 333×333
// and cutting 32 windows out of it (which took ~1 s per chunk on wasm).
import * as tf from '@tensorflow/tfjs-core';
import type { RiseDrawChunk } from './riseDraws';

export interface RiseGeometry {
  numCells: number;
  height: number;
  width: number;
  /** ⌈H/s⌉, ⌈W/s⌉: shifts are drawn in [0, cell). */
  cellHeight: number;
  cellWidth: number;
  /** Size of the upsampled, reflect-padded grid before the crop, cu·(s+2). */
  upsampledHeight: number;
  upsampledWidth: number;
  /** Offset of the `up = (H + cell_h, W + cell_w)` window inside it (cu = ⌈up/s⌉). */
  offsetY: number;
  offsetX: number;
}

export function riseGeometry(height: number, width: number, numCells: number): RiseGeometry {
  const cellHeight = Math.ceil(height / numCells), cellWidth = Math.ceil(width / numCells);
  const cuH = Math.ceil((height + cellHeight) / numCells), cuW = Math.ceil((width + cellWidth) / numCells);
  return {
    numCells, height, width, cellHeight, cellWidth,
    upsampledHeight: cuH * (numCells + 2), upsampledWidth: cuW * (numCells + 2), offsetY: cuH, offsetX: cuW,
  };
}

/**
 * Row `i` of the result holds the weights of the s grid cells for output sample `start + i` of a bilinear
 * (half-pixel centres, §0.4) resize of the reflect-padded grid (s+2 samples) to `outLength` samples.
 */
export function interpolationWeights(s: number, outLength: number, start: number, count: number, into: Float32Array, at: number): void {
  const n = s + 2;
  const scale = n / outLength;
  // Padded index j → grid cell: 'reflect' mirrors without repeating the edge (j = 0 → 1, j = s+1 → s−2).
  const cell = (j: number) => (j === 0 ? 1 : j === n - 1 ? s - 2 : j - 1);
  for (let i = 0; i < count; i++) {
    const src = Math.max(0, (start + i + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(src), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    const l1 = src - i0;
    into[at + i * s + cell(i0)] += 1 - l1;
    into[at + i * s + cell(i1)] += l1;
  }
}

/** The masks of one chunk, [count, H, W, 1], values in [0, 1]. */
export function riseMasks(chunk: RiseDrawChunk, g: RiseGeometry): tf.Tensor4D {
  const count = chunk.rows.length;
  const { numCells: s, height: h, width: w } = g;
  const wy = new Float32Array(count * h * s), wx = new Float32Array(count * w * s);
  for (let i = 0; i < count; i++) {
    interpolationWeights(s, g.upsampledHeight, g.offsetY + chunk.rows[i], h, wy, i * h * s);
    interpolationWeights(s, g.upsampledWidth, g.offsetX + chunk.cols[i], w, wx, i * w * s);
  }
  return tf.tidy(() => {
    const grids = tf.tensor3d(chunk.grids, [count, s, s]);
    const rows = tf.matMul(tf.tensor3d(wy, [count, h, s]), grids); // [count, H, s]
    return tf.reshape(tf.matMul(rows, tf.tensor3d(wx, [count, w, s]), false, true), [count, h, w, 1]) as tf.Tensor4D;
  });
}
