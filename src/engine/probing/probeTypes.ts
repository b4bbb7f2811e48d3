// The `probe` request's settings and result (engine ↔ host), kept apart from the worker protocol's other requests.
import type { UnitLabel } from './netDissect';
import type { CurvePoint } from './filtersNeeded';
import type { Neighbour } from './conceptEmbeddings';
import type { ProbeTraining } from './probeSettings';
import type { ProbeExample } from './valExamples';

export type ProbeKind = 'segmentation' | 'classification' | 'both';

export interface DatasetSpec {
  /** A Broden folder (index.csv …) or a concept-folders root. */
  path: string;
  format?: 'auto' | 'broden' | 'folders';
}

export interface ProbeSettingsInput {
  layer: string;
  kind?: ProbeKind;
  /** Only these concepts (names; Broden label numbers work too). */
  concepts?: string[];
  /** Only concepts of these categories (Broden). */
  categories?: string[];
  /** Top quantile of the per-filter thresholds (default 0.005, METHODS.md §5.2). */
  quantile?: number;
  segmentation?: Partial<ProbeTraining>;
  classification?: Partial<ProbeTraining>;
  /** Run the filters-needed retraining (§5.7; default true). */
  filtersNeeded?: boolean;
  /** Fraction p of the full probe's score for "filters needed" (default 0.9). */
  fraction?: number;
  /** Images per forward pass while extracting activations (default 16). */
  batchSize?: number;
  /** Where activations are cached (default: the OS temp folder's cnn-lens-activations). */
  cacheDir?: string;
  /** Nearest concepts listed per concept (default 5). */
  neighbours?: number;
  /** Concept folders: segmentation size masks are resized to (default 112) and val fraction (default 0.2). */
  segmentationSize?: number;
  valFraction?: number;
}

export interface FilterWeight { filter: number; weight: number }

export interface ProbeScores {
  /** 'iou' (segmentation: set IoU on val) or 'ap' (classification: average precision on balanced val). */
  metric: 'iou' | 'ap';
  /** Best single filter, chosen on train, and its val score (§5.4 for segmentation; AP of its pooled map otherwise). */
  bestFilter: number;
  bestFilterScore: number;
  /** The Net2Vec probe's val score and gain over the best single filter (difference, and ratio). */
  score: number;
  gain: number;
  gainRatio: number | null;
  /** Classification: val accuracy; segmentation: mean per-image IoU. */
  secondary: number;
  topFilters: FilterWeight[];
  /** Filters needed for `fraction` of the full score (§5.7): curve of IoU (segmentation) or accuracy (classification). */
  curve?: CurvePoint[];
  filtersNeeded?: number;
  nearest: Neighbour[];
  /** Full weight vector (the concept's embedding before normalisation). */
  weights: number[];
  losses: number[];
  /** Segmentation: a few val images with the predicted and true masks (for the Concepts panel). */
  examples?: ProbeExample[];
}

export interface ProbeConceptResult {
  concept: string;
  number: number;
  category: string;
  trainImages: number;
  valImages: number;
  /** NetDissect (§5.3): best filter on train and its val IoU. */
  netDissect: { filter: number; iou: number };
  segmentation?: ProbeScores;
  classification?: ProbeScores;
  /** Why a probe was not run for this concept (too few images, no masks, …). */
  notes: string[];
}

export interface ProbeResult {
  backend: string;
  model: { name: string; path: string };
  layer: string;
  dataset: { path: string; format: 'broden' | 'folders'; images: number; train: number; val: number };
  activations: { h: number; w: number; filters: number; cached: boolean; seconds: number; imagesPerSecond: number | null; cacheFile: string };
  quantile: number;
  thresholds: number[];
  /** NetDissect labels of every filter (IoU over both splits; detector if IoU > 0.04). */
  units: UnitLabel[];
  concepts: ProbeConceptResult[];
  settings: Record<string, unknown>;
  timings: { activations: number; thresholds: number; dissection: number; probes: number };
  elapsedMs: number;
}
