// The hover kernel of the Similarity panel (METHODS.md §6.1): the same cosines as cosineKernel.ts's dotCells, with
// the normalised vectors stored channel-major ([channel][cell], transposed once when the images arrive). A hover is
// then a sum of the probe's non-zero channels, each weighting one contiguous row of cells:
//   out[k] = Σ_c p[c] · T[c][k]   over c with p[c] ≠ 0.
// After a ReLU most channels of a cell are zero, so this skips most of the work that the row-major dot product must
// do, and it streams contiguous memory; 4 channels per pass over `out` keep the loads per output low. Measured
// against dotCells in bench/similarity.bench.ts. Plain TypeScript: it runs in the webview on every pointer move.

/** [cell][channel] (row-major, as the engine produces it) → [channel][cell]. */
export function toChannelMajor(v: Float32Array, cells: number, d: number): Float32Array {
  if (v.length !== cells * d) throw new RangeError(`toChannelMajor: ${cells}×${d} needs ${cells * d} values, got ${v.length}`);
  const t = new Float32Array(v.length);
  // In blocks of 16 cells: the 16 source rows stay in cache while each channel's 16 values are written contiguously.
  for (let k0 = 0; k0 < cells; k0 += 16) {
    const k1 = Math.min(cells, k0 + 16);
    for (let c = 0; c < d; c++) for (let k = k0, o = c * cells; k < k1; k++) t[o + k] = v[k * d + c];
  }
  return t;
}

/** The probe's non-zero channels and their values, written into `idx`/`val` (length ≥ d); returns how many. */
export function probeChannels(t: Float32Array, cells: number, d: number, cell: number, idx: Int32Array, val: Float32Array): number {
  let n = 0;
  for (let c = 0; c < d; c++) {
    const x = t[c * cells + cell];
    if (x !== 0) { idx[n] = c; val[n] = x; n++; }
  }
  return n;
}

/** out[k] = Σ_j val[j] · t[idx[j]·cells + k] for k < cells: the cosines of every cell of one image to the probe. */
export function weightedChannelSum(t: Float32Array, cells: number, idx: Int32Array, val: Float32Array, n: number, out: Float32Array): void {
  out.fill(0, 0, cells);
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const w0 = val[j], w1 = val[j + 1], w2 = val[j + 2], w3 = val[j + 3];
    const o0 = idx[j] * cells, o1 = idx[j + 1] * cells, o2 = idx[j + 2] * cells, o3 = idx[j + 3] * cells;
    for (let k = 0; k < cells; k++) out[k] += w0 * t[o0 + k] + w1 * t[o1 + k] + w2 * t[o2 + k] + w3 * t[o3 + k];
  }
  for (; j < n; j++) {
    const w = val[j], o = idx[j] * cells;
    for (let k = 0; k < cells; k++) out[k] += w * t[o + k];
  }
}
