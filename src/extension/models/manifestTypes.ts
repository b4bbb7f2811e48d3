// The workspace model manifest (`cnn-lens.json` at a workspace folder's root, or `.vscode/cnn-lens.json`):
// what a person writes to tell CNN Lens which models exist and how to feed them. schemas/cnn-lens.schema.json
// describes the same shape for the JSON editor; manifestParser.ts checks it.
import type { Preprocessing } from '../../engine/model/modelTypes';

/** Where a manifest may live, relative to a workspace folder, in order of precedence. */
export const MANIFEST_LOCATIONS = ['cnn-lens.json', '.vscode/cnn-lens.json'] as const;

export type ModelFormat = 'tfjs-layers' | 'tfjs-graph' | 'onnx';
export const MODEL_FORMATS: readonly ModelFormat[] = ['tfjs-layers', 'tfjs-graph', 'onnx'];

/** The model definition in source code that a manifest entry was exported from (a CodeLens link). */
export interface ModelSourceLink {
  /** Source file, relative to the workspace folder (forward slashes). */
  file: string;
  /** Class name (PyTorch/Keras subclass) or variable name (Sequential/functional/tf.sequential). */
  symbol: string;
}

/** One entry of `models` in the manifest, as written (paths still relative to the workspace folder). */
export interface ManifestEntry {
  /** Unique within the manifest; also the model's id in the registry. */
  name: string;
  /** model.json of a TF.js model, or an .onnx file. */
  path: string;
  /** Inferred from the file when absent. */
  format?: ModelFormat;
  /** How 0–255 RGB pixels become the model's input (the engine's Preprocessing; missing fields are defaulted). */
  preprocessing?: Partial<Preprocessing>;
  /** Labels file: JSON array, {index: name} object, or one name a line. */
  labels?: string;
  /** Layer whose output are the class scores (default: the input of the final softmax). */
  outputLayer?: string;
  /** Layer Grad-CAM uses unless told otherwise. */
  gradCamLayer?: string;
  description?: string;
  source?: ModelSourceLink;
}
