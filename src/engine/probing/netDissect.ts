// Single-filter concept segmentation, accumulated image by image over the whole dataset:
// - NetDissect IoU (METHODS.md §5.3): upsample A_k bilinearly (half-pixel) to sh×sw, then threshold at T_k;
//   A_{k,c} counts the filter's pixels only on images with a label of c's primary category;
// - Net2Vec's single-filter variant (§5.4): threshold first, upsample the binary map (corner-aligned, as PyTorch ≤ 0.3
//   nn.Upsample), keep > 0.5, and sum over the images containing c only (set IoU).
// Both are kept per split so the best filter is chosen on train and reported on val.
import * as tf from '@tensorflow/tfjs-core';
import type { ProbeConcept, Split } from './probeDataset';

/** A filter is a "detector" of its best concept above this IoU (ND script/rundissect.sh THRESHOLD). */
export const DETECTOR_IOU = 0.04;
const EPS = 1e-20;

export interface DissectImage {
  /** The image's activations, NHWC [h, w, K] flattened. */
  acts: Float32Array;
  split: Split;
  sh: number;
  sw: number;
  /** Indices (into the accumulator's concepts) of the concepts present in the image. */
  present: number[];
  /** Per present concept: L_c by the NetDissect rule ('any') and the Net2Vec rule ('firstCategory'), sh×sw 0/1. */
  masksAny: Uint8Array[];
  masksFirst: Uint8Array[];
  /** Categories with at least one label in the image. */
  categories: string[];
}

interface SplitSums {
  /** ND: intersections [C×K], label pixels [C], activation pixels per category [K]. */
  inter: Float64Array;
  label: Float64Array;
  actByCategory: Map<string, Float64Array>;
  /** §5.4: intersections, binary-map pixels on images containing c [C×K], label pixels [C]. */
  inter2: Float64Array;
  act2: Float64Array;
  label2: Float64Array;
}

export interface FilterChoice {
  filter: number;
  /** IoU on train (where the filter was chosen) and on val (what is reported). */
  train: number;
  val: number;
}

export interface ConceptDissection {
  concept: ProbeConcept;
  /** Best filter by the NetDissect IoU (§5.3). */
  netDissect: FilterChoice;
  /** Best filter by the Net2Vec single-filter set IoU (§5.4): the baseline the probes are compared with. */
  single: FilterChoice;
  /** Val set IoUs (§5.4) of every filter, for the filters-needed baseline and embeddings' one-hot comparison. */
  singleVal: Float64Array;
}

export interface UnitLabel {
  filter: number;
  concept: string;
  category: string;
  /** NetDissect IoU over the whole dataset (both splits). */
  iou: number;
  detector: boolean;
}

export class DissectAccumulator {
  private readonly sums: Record<Split, SplitSums>;

  constructor(readonly concepts: ProbeConcept[], readonly filters: number, readonly thresholds: Float32Array) {
    const c = concepts.length;
    const make = (): SplitSums => ({
      inter: new Float64Array(c * filters), label: new Float64Array(c), actByCategory: new Map(),
      inter2: new Float64Array(c * filters), act2: new Float64Array(c * filters), label2: new Float64Array(c),
    });
    this.sums = { train: make(), val: make() };
  }

  add(img: DissectImage, h: number, w: number): void {
    const k = this.filters;
    const p = img.sh * img.sw;
    const s = this.sums[img.split];
    const nPresent = img.present.length;
    const [inter, inter2, actSum, act2Sum] = tf.tidy(() => {
      const a = tf.tensor4d(img.acts, [1, h, w, k]);
      const t = tf.tensor1d(this.thresholds);
      const m = tf.reshape(tf.cast(tf.greater(tf.image.resizeBilinear(a, [img.sh, img.sw], false, true), t), 'float32'), [p, k]);
      const up = tf.image.resizeBilinear(tf.cast(tf.greater(a, t), 'float32') as tf.Tensor4D, [img.sh, img.sw], true, false);
      const m2 = tf.reshape(tf.cast(tf.greater(up, 0.5), 'float32'), [p, k]);
      const out: tf.Tensor[] = [tf.sum(m, 0), tf.sum(m2, 0)];
      if (nPresent) {
        const stack = (masks: Uint8Array[]) => {
          const all = new Float32Array(nPresent * p);
          masks.forEach((mk, i) => { for (let j = 0; j < p; j++) all[i * p + j] = mk[j]; });
          return tf.tensor2d(all, [nPresent, p]);
        };
        out.unshift(tf.matMul(stack(img.masksAny), m), tf.matMul(stack(img.masksFirst), m2));
      } else out.unshift(tf.zeros([0, k]), tf.zeros([0, k]));
      return out;
    });
    const [iv, i2v, av, a2v] = [inter, inter2, actSum, act2Sum].map((x) => x.dataSync());
    tf.dispose([inter, inter2, actSum, act2Sum]);
    for (const cat of img.categories) {
      let acc = s.actByCategory.get(cat);
      if (!acc) s.actByCategory.set(cat, (acc = new Float64Array(k)));
      for (let f = 0; f < k; f++) acc[f] += av[f];
    }
    img.present.forEach((ci, i) => {
      let g = 0;
      let g2 = 0;
      for (let j = 0; j < p; j++) { g += img.masksAny[i][j]; g2 += img.masksFirst[i][j]; }
      s.label[ci] += g;
      s.label2[ci] += g2;
      for (let f = 0; f < k; f++) {
        s.inter[ci * k + f] += iv[i * k + f];
        s.inter2[ci * k + f] += i2v[i * k + f];
        s.act2[ci * k + f] += a2v[f];
      }
    });
  }

  private ndIou(splits: Split[], ci: number, f: number): number {
    let i = 0, a = 0, g = 0;
    const cat = this.concepts[ci].primary;
    for (const sp of splits) {
      const s = this.sums[sp];
      i += s.inter[ci * this.filters + f];
      a += s.actByCategory.get(cat)?.[f] ?? 0;
      g += s.label[ci];
    }
    return i / (a + g - i + EPS);
  }

  private setIou(sp: Split, ci: number, f: number): number {
    const s = this.sums[sp];
    const i = s.inter2[ci * this.filters + f];
    return i / (s.act2[ci * this.filters + f] + s.label2[ci] - i + EPS);
  }

  results(): { concepts: ConceptDissection[]; units: UnitLabel[] } {
    const k = this.filters;
    const best = (score: (f: number) => number) => {
      let bf = 0;
      for (let f = 1; f < k; f++) if (score(f) > score(bf)) bf = f;
      return bf;
    };
    const concepts = this.concepts.map((concept, ci): ConceptDissection => {
      const nd = best((f) => this.ndIou(['train'], ci, f));
      const single = best((f) => this.setIou('train', ci, f));
      return {
        concept,
        netDissect: { filter: nd, train: this.ndIou(['train'], ci, nd), val: this.ndIou(['val'], ci, nd) },
        single: { filter: single, train: this.setIou('train', ci, single), val: this.setIou('val', ci, single) },
        singleVal: Float64Array.from({ length: k }, (_, f) => this.setIou('val', ci, f)),
      };
    });
    const units: UnitLabel[] = [];
    for (let f = 0; f < k && this.concepts.length; f++) {
      let bc = 0;
      let bi = -1;
      this.concepts.forEach((_, ci) => { const v = this.ndIou(['train', 'val'], ci, f); if (v > bi) { bi = v; bc = ci; } });
      const c = this.concepts[bc];
      units.push({ filter: f, concept: c.name, category: c.primary, iou: bi, detector: bi > DETECTOR_IOU });
    }
    return { concepts, units };
  }
}
