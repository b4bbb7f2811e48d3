// Looks inside a model file without loading it: is this model.json a TF.js model, layers or graph, and which input
// shape does it declare? Cheap enough for workspace discovery (reads only the head) and for "add to manifest"
// (reads the whole topology, never the weights). Pure Node, no vscode.
import * as fs from 'node:fs/promises';
import type { ModelFormat } from './manifestTypes';

/** Bytes read to recognise a model.json: the keys that identify TF.js come first in every converter's output. */
const HEAD_BYTES = 64 * 1024;
/** Above this a model.json is not parsed for its input shape (graph models with inline weights can be huge). */
const MAX_TOPOLOGY_BYTES = 32 * 1024 * 1024;

/** The TF.js format a model.json's text implies, or undefined when it is not a TF.js model. */
export function sniffTfjsFormat(head: string): Exclude<ModelFormat, 'onnx'> | undefined {
  if (!/"(modelTopology|weightsManifest)"\s*:/.test(head)) return undefined;
  const declared = /"format"\s*:\s*"(layers-model|graph-model)"/.exec(head)?.[1];
  if (declared) return declared === 'graph-model' ? 'tfjs-graph' : 'tfjs-layers';
  // Old converters wrote no "format": a Keras topology has class_name/keras_version, a graph one a node list.
  if (/"(class_name|keras_version)"\s*:/.test(head)) return 'tfjs-layers';
  if (/"node"\s*:\s*\[/.test(head)) return 'tfjs-graph';
  return 'tfjs-layers';
}

/** The format of a model file on disk, or undefined when it is not one CNN Lens knows (or cannot be read). */
export async function modelFileFormat(file: string): Promise<ModelFormat | undefined> {
  if (file.toLowerCase().endsWith('.onnx')) return 'onnx';
  try {
    const handle = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
      return sniffTfjsFormat(buf.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The [H, W, C] a TF.js model.json declares for its (first) image input, null for a dynamic dimension;
 * undefined when it declares none this function understands.
 */
export async function tfjsInputShape(file: string): Promise<(number | null)[] | undefined> {
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_TOPOLOGY_BYTES) return undefined;
    const json = JSON.parse(await fs.readFile(file, 'utf8')) as { modelTopology?: unknown };
    return inputShapeOfTopology(json.modelTopology);
  } catch {
    return undefined;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function inputShapeOfTopology(topology: unknown): (number | null)[] | undefined {
  if (!isObj(topology)) return undefined;
  // Layers model: {class_name, config} possibly wrapped in {model_config: …} by older converters.
  const model = isObj(topology.model_config) ? topology.model_config : topology;
  if (isObj(model.config)) {
    const layers = Array.isArray(model.config.layers) ? model.config.layers : [];
    for (const layer of layers) {
      const cfg = isObj(layer) && isObj(layer.config) ? layer.config : undefined;
      const shape = cfg?.batch_input_shape ?? cfg?.batch_shape;
      if (Array.isArray(shape) && shape.length === 4) return shape.slice(1).map(dim);
    }
    return undefined;
  }
  // Graph model: the first Placeholder's shape attribute.
  if (Array.isArray(topology.node)) {
    for (const node of topology.node) {
      if (!isObj(node) || node.op !== 'Placeholder' || !isObj(node.attr) || !isObj(node.attr.shape)) continue;
      const shape = node.attr.shape.shape;
      const dims = isObj(shape) && Array.isArray(shape.dim) ? shape.dim : undefined;
      if (dims?.length === 4) return dims.slice(1).map((d) => dim(isObj(d) ? Number(d.size) : null));
    }
  }
  return undefined;
}

const dim = (d: unknown): number | null => (typeof d === 'number' && Number.isInteger(d) && d > 0 ? d : null);
