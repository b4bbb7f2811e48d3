// What the probing engine needs from a concept dataset, whatever its format on disk (Broden, concept folders):
// images with a split and a segmentation size, concepts with their categories, and per-image annotations.
export type Split = 'train' | 'val';

export interface ProbeConcept {
  /** Unified label number (≥ 1; 0 = unlabeled), as in Broden's label.csv. */
  number: number;
  name: string;
  /** Categories the label belongs to, in label.csv order (the segmentation target uses the first with data, §5.5). */
  categories: string[];
  /** The category in which its coverage is largest (§5.1): NetDissect counts activations on images of it (§5.3). */
  primary: string;
  /** False when the concept has no pixel annotations to learn from (a concept folder without masks): classification only. */
  pixelLevel?: boolean;
}

export interface ProbeImage {
  /** How the dataset lists the image (path relative to its root); error messages name it. */
  id: string;
  /** Absolute path of the image file. */
  file: string;
  split: Split;
  /** Segmentation size (rows, columns) of this image's label maps. */
  sh: number;
  sw: number;
}

/** One category's annotation of one image: pixel layers of unified numbers (sh×sw, row-major) and image-level labels. */
export interface CategoryLabels {
  layers: Uint16Array[];
  imageLevel: number[];
}

/** All annotations of one image, by category (categories without data for the image are absent). */
export type ImageLabels = Map<string, CategoryLabels>;

export interface ProbeDataset {
  format: 'broden' | 'folders';
  root: string;
  /** Changes whenever the image list or the files' identity change (part of the activation cache key). */
  key: string;
  images: ProbeImage[];
  /** The concepts to probe (after any subset requested). */
  concepts: ProbeConcept[];
  categories: string[];
  /** Reads one image's annotations (label PNGs are decoded on demand). */
  loadLabels(imageIndex: number): Promise<ImageLabels>;
  /**
   * Images that are negatives for every concept of the classification probe (a `negatives/` folder). Undefined:
   * the negatives of a concept are all images without it.
   */
  negatives?: ReadonlySet<number>;
}
