// The random draws behind RISE's masks (METHODS.md §3.8, §0.8): per chunk of masks, the binary s×s grids first,
// then the row shifts, then the column shifts — TorchRay's order. PyTorch's generator cannot be reproduced in
// TypeScript, so the seeded source gives different (equally distributed) masks; the recorded source replays the
// reference's draws (e.g. shared/reference/torchray/saliency/rise_masks_seed0) to reproduce it exactly.
import { SeededRandom } from '../../datasets/seededRandom';

export interface RiseDrawChunk {
  /** `count·s·s` values in {0, 1}, mask-major then row-major; 1 keeps the cell. */
  grids: Float32Array;
  /** `count` row shifts in [0, cell_h) and `count` column shifts in [0, cell_w). */
  rows: Int32Array;
  cols: Int32Array;
}

export interface RiseDraws {
  /** The next `count` masks' draws. */
  next(count: number): RiseDrawChunk;
}

export interface RiseGridSpec {
  numCells: number;
  /** Probability that a cell is 1 (kept): `U(0,1) < p` (§0.9 item 8). */
  p: number;
  cellHeight: number;
  cellWidth: number;
}

/** Draws from a seeded mulberry32 generator (seededRandom.ts); the same seed and chunking give the same masks. */
export class SeededRiseDraws implements RiseDraws {
  private readonly rng: SeededRandom;
  constructor(seed: number, private readonly spec: RiseGridSpec) {
    this.rng = new SeededRandom(seed);
  }
  next(count: number): RiseDrawChunk {
    const { numCells, p, cellHeight, cellWidth } = this.spec;
    const grids = new Float32Array(count * numCells * numCells);
    for (let i = 0; i < grids.length; i++) grids[i] = this.rng.next() < p ? 1 : 0;
    const rows = new Int32Array(count), cols = new Int32Array(count);
    for (let i = 0; i < count; i++) rows[i] = this.rng.int(cellHeight);
    for (let i = 0; i < count; i++) cols[i] = this.rng.int(cellWidth);
    return { grids, rows, cols };
  }
}

/**
 * Replays recorded draws: `grids` [N, s, s] and `shifts` [N, 2] = (row, col), as stored in the reference's
 * `grids.f32` / `shifts.f32`.
 */
export class RecordedRiseDraws implements RiseDraws {
  private pos = 0;
  constructor(private readonly grids: Float32Array, private readonly shifts: ArrayLike<number>, private readonly numCells: number) {
    if (grids.length / (numCells * numCells) !== shifts.length / 2)
      throw new RangeError(`recorded RISE draws: ${grids.length / (numCells * numCells)} grids but ${shifts.length / 2} shifts`);
  }
  get available(): number {
    return this.shifts.length / 2;
  }
  next(count: number): RiseDrawChunk {
    if (this.pos + count > this.available) throw new RangeError(`recorded RISE draws: asked for mask ${this.pos + count}, only ${this.available} recorded`);
    const cells = this.numCells * this.numCells;
    const grids = this.grids.slice(this.pos * cells, (this.pos + count) * cells);
    const rows = new Int32Array(count), cols = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      rows[i] = this.shifts[2 * (this.pos + i)];
      cols[i] = this.shifts[2 * (this.pos + i) + 1];
    }
    this.pos += count;
    return { grids, rows, cols };
  }
}
