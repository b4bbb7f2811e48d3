// The per-hover computation of similarity overlays (METHODS.md §6.1): with every cell vector normalised once
// (F̂ = F/(‖F‖+1e−4)), the cosine of the probe cell to every cell of every image is one matrix–vector product.
// Plain TypeScript on typed arrays, no TensorFlow.js and no Node APIs: the webview runs it on every pointer move,
// and the CLI runs the same code for its PNGs.

/** Normalised cell vectors of one layer for a set of images, [image][row][col][channel]. */
export interface CellVectors {
  images: number;
  rows: number;
  cols: number;
  channels: number;
  vectors: Float32Array;
}

export interface Cell { image: number; row: number; col: number }

export function checkCellVectors(l: CellVectors): void {
  const n = l.images * l.rows * l.cols * l.channels;
  if (![l.images, l.rows, l.cols, l.channels].every((v) => Number.isInteger(v) && v >= 1) || l.vectors.length !== n)
    throw new RangeError(`cell vectors: ${l.images}×${l.rows}×${l.cols}×${l.channels} needs ${n} values, got ${l.vectors.length}`);
}

export function isCellInside(l: Pick<CellVectors, 'images' | 'rows' | 'cols'>, c: Cell): boolean {
  return [c.image, c.row, c.col].every(Number.isInteger) && c.image >= 0 && c.image < l.images &&
    c.row >= 0 && c.row < l.rows && c.col >= 0 && c.col < l.cols;
}

/**
 * out[outOffset + k] = v[k·d … k·d+d) · p for k < cells: the cosines of `cells` normalised vectors to the normalised
 * probe vector `p`. 4 accumulators let V8 keep the inner loop in registers.
 */
export function dotCells(v: Float32Array, cells: number, d: number, p: Float32Array, out: Float32Array, outOffset = 0): void {
  const d4 = d - (d % 4);
  for (let k = 0, o = 0; k < cells; k++, o += d) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    let c = 0;
    for (; c < d4; c += 4) {
      a0 += v[o + c] * p[c];
      a1 += v[o + c + 1] * p[c + 1];
      a2 += v[o + c + 2] * p[c + 2];
      a3 += v[o + c + 3] * p[c + 3];
    }
    for (; c < d; c++) a0 += v[o + c] * p[c];
    out[outOffset + k] = a0 + a1 + a2 + a3;
  }
}

/** The normalised vector of cell (row, col) in one image's [row][col][channel] array, copied. */
export function cellVector(v: Float32Array, cols: number, d: number, row: number, col: number): Float32Array {
  const o = (row * cols + col) * d;
  return v.slice(o, o + d);
}

/**
 * Cosine similarity of cell `probe` to every cell of every image: images·rows·cols values, row-major per image.
 * `out` is reused when given (no allocation per hover).
 */
export function cosineMaps(l: CellVectors, probe: Cell, out?: Float32Array): Float32Array {
  const { rows, cols, channels: d, vectors: v } = l;
  const cells = l.images * rows * cols;
  if (!isCellInside(l, probe)) throw new RangeError(`probe cell (${probe.image}, ${probe.row}, ${probe.col}) is outside ${l.images} images of ${rows}×${cols}`);
  const res = out && out.length === cells ? out : new Float32Array(cells);
  const p = cellVector(v, cols, d, probe.image * rows + probe.row, probe.col);
  dotCells(v, cells, d, p, res);
  return res;
}

/** The map of one image inside the result of cosineMaps (a view, no copy). */
export function imageMap(maps: Float32Array, l: Pick<CellVectors, 'rows' | 'cols'>, image: number): Float32Array {
  const n = l.rows * l.cols;
  return maps.subarray(image * n, (image + 1) * n);
}

/**
 * The cell of a grid `to` corresponding to cell (row, col) of a grid `from` (layers of different resolution side by
 * side, METHODS §6.3): (round(N_to/N_from · i), round(N_to/N_from · j)), clamped into the grid.
 */
export function rescaleCell(row: number, col: number, from: { rows: number; cols: number }, to: { rows: number; cols: number }): [number, number] {
  const r = Math.round((to.rows / from.rows) * row);
  const c = Math.round((to.cols / from.cols) * col);
  return [Math.min(to.rows - 1, Math.max(0, r)), Math.min(to.cols - 1, Math.max(0, c))];
}
