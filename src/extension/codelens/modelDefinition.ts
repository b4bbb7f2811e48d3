// What the source scanners find: model definitions (where a lens goes) and model exports (files the source writes,
// proposed first when linking a definition to a model file). Pure types, shared by the scanners and the provider.

export type DefinitionKind =
  | 'torch-module'        // class X(nn.Module)
  | 'keras-subclass'      // class X(keras.Model)
  | 'keras-sequential'    // x = keras.Sequential(...)
  | 'keras-functional'    // x = keras.Model(inputs, outputs)
  | 'tfjs-sequential'     // const x = tf.sequential(...)
  | 'tfjs-model'          // const x = tf.model({inputs, outputs})
  | 'tfjs-model-json';    // a TF.js model.json itself

export interface ModelDefinition {
  /** Class or variable name: what a manifest link records. */
  name: string;
  kind: DefinitionKind;
  /** Zero-based line and column of the name. */
  line: number;
  column: number;
}

export type ExportKind =
  | 'onnx'          // torch.onnx.export(model, x, "m.onnx")
  | 'tfjs-keras'    // tfjs.converters.save_keras_model(model, "dir")
  | 'tfjs-save'     // model.save("file://dir")
  | 'save';         // model.save("path") (Keras; a model file only when it is an .onnx or a TF.js directory)

export interface ModelExport {
  kind: ExportKind;
  /** The path as written in the source (without any file:// prefix). */
  path: string;
  /** Where the engine would find the model: the .onnx file, or <dir>/model.json for TF.js directories. */
  modelFile: string;
  line: number;
}

export interface SourceScan {
  definitions: ModelDefinition[];
  exports: ModelExport[];
}

/** The model file an export writes, as a path relative to wherever `path` is relative to. */
export function exportedModelFile(kind: ExportKind, p: string): string {
  const clean = p.replace(/^file:\/\//, '').replace(/[\\/]+$/, '');
  if (kind === 'onnx' || /\.(onnx|json)$/i.test(clean)) return clean;
  // TF.js writes a directory holding model.json; a bare Keras save path may have been converted likewise.
  return `${clean}/model.json`;
}
