// What the Similarity panel knows and computes, without the DOM: the layers, the images with their normalised cell
// vectors, and for a probe cell the cosine maps of every image at every layer (the hovered layer's cell rescaled to
// the other grids, METHODS.md §6.3). The vectors are transposed to channel-major once, when the images arrive, for
// the hover kernel (engine/similarity/channelMajorKernel.ts); the row-major arrays of the message are not kept.
// Output buffers are allocated once per image and layer and reused on every hover.
import { rescaleCell } from '../../engine/similarity/cosineKernel';
import { probeChannels, toChannelMajor, weightedChannelSum } from '../../engine/similarity/channelMajorKernel';
import type { LayerMeta, Normalisation, PanelImage, ProbeCell } from '../similarityPanelProtocol';

export interface HoverMaps {
  probe: ProbeCell;
  /** Per layer, the probe's cell in that layer's grid. */
  cells: { row: number; col: number }[];
  /** [layer][image] cosine maps, rows·cols values each (buffers owned by the model: valid until the next compute). */
  maps: Float32Array[][];
}

/** An image as the panel keeps it: its picture and, per layer, its normalised vectors channel-major [channel][cell]. */
export type ModelImage = Omit<PanelImage, 'vectors'> & { channelMajor: Float32Array[] };

export class SimilarityModel {
  layers: LayerMeta[] = [];
  images: ModelImage[] = [];
  private out: Float32Array[][] = [];
  /** Scratch for the probe's non-zero channels (sized for the widest layer). */
  private idx = new Int32Array(0);
  private val = new Float32Array(0);

  load(layers: LayerMeta[], images: PanelImage[], append: boolean): void {
    const same = append && layers.length === this.layers.length && layers.every((l, k) => l.name === this.layers[k].name && l.rows === this.layers[k].rows && l.cols === this.layers[k].cols && l.channels === this.layers[k].channels);
    if (!same) { this.layers = layers; this.images = []; }
    const known = new Set(this.images.map((i) => i.id));
    const fresh = images.filter((i) => !known.has(i.id)).map(({ vectors, ...im }) => ({
      ...im, channelMajor: vectors.map((v, k) => toChannelMajor(v, this.layers[k].rows * this.layers[k].cols, this.layers[k].channels)),
    }));
    this.images = [...this.images, ...fresh];
    this.out = this.layers.map((l) => this.images.map(() => new Float32Array(l.rows * l.cols)));
    const widest = Math.max(0, ...this.layers.map((l) => l.channels));
    this.idx = new Int32Array(widest);
    this.val = new Float32Array(widest);
  }

  remove(id: string): number {
    const i = this.images.findIndex((im) => im.id === id);
    if (i < 0) return -1;
    this.images.splice(i, 1);
    for (const per of this.out) per.splice(i, 1);
    return i;
  }

  isInside(p: ProbeCell): boolean {
    const l = this.layers[p.layer];
    return !!l && p.image >= 0 && p.image < this.images.length && p.row >= 0 && p.row < l.rows && p.col >= 0 && p.col < l.cols;
  }

  compute(probe: ProbeCell): HoverMaps {
    if (!this.isInside(probe)) throw new RangeError(`probe ${JSON.stringify(probe)} is outside the panel's grids`);
    const from = this.layers[probe.layer];
    const cells = this.layers.map((l, k) => {
      if (k === probe.layer) return { row: probe.row, col: probe.col };
      const [row, col] = rescaleCell(probe.row, probe.col, from, l);
      return { row, col };
    });
    this.layers.forEach((l, k) => {
      const n = l.rows * l.cols;
      const nz = probeChannels(this.images[probe.image].channelMajor[k], n, l.channels, cells[k].row * l.cols + cells[k].col, this.idx, this.val);
      this.images.forEach((im, b) => weightedChannelSum(im.channelMajor[k], n, this.idx, this.val, nz, this.out[k][b]));
    });
    return { probe, cells, maps: this.out };
  }
}

/**
 * The value range mapped onto the colour map, per image of one layer (METHODS §6.2): raw cosine on a fixed scale
 * ([0, 1] after a ReLU, else [−1, 1]); min–max over all images of the layer; or min–max of each image (the
 * reference's per-pair stretch).
 */
export function mapRanges(maps: Float32Array[], mode: Normalisation, nonNegative: boolean): [number, number][] {
  if (mode === 'raw') return maps.map(() => [nonNegative ? 0 : -1, 1]);
  const each = maps.map((m) => { let lo = Infinity, hi = -Infinity; for (const v of m) { if (v < lo) lo = v; if (v > hi) hi = v; } return [lo, hi] as [number, number]; });
  if (mode === 'perImage') return each;
  const lo = Math.min(...each.map((r) => r[0])), hi = Math.max(...each.map((r) => r[1]));
  return maps.map(() => [lo, hi]);
}
