// Loads a TF.js model from disk into an EngineModel, introspects it, and finds its pre-softmax scores.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { EngineError } from '../errors';
import type { ModelSpec } from '../worker/protocol';
import { readLabels } from './labels';
import { buildLayersGraph } from './layersGraph';
import type { EngineModel, LayerInfo, ModelInfo, Preprocessing } from './modelTypes';
import { readModelFiles } from './modelFiles';
import { loadOnnxModel } from './onnx/onnxModel';
import { ConverterModel, OpGraphModel } from './tfjsModel';

export interface LoadedModel {
  model: EngineModel;
  labels: string[] | null;
  /** Preprocessing from the model's `cnnlens.json` sidecar merged with the request's (request wins). */
  preprocessing: Partial<Preprocessing>;
}

/** Optional `cnnlens.json` next to model.json: `{preprocessing, labels, outputLayer}` (paths relative to it). */
function readSidecar(dir: string): { preprocessing?: Partial<Preprocessing>; labels?: string; outputLayer?: string } {
  const f = path.join(dir, 'cnnlens.json');
  if (!fs.existsSync(f)) return {};
  try {
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    return { ...s, labels: s.labels ? path.resolve(dir, s.labels) : undefined };
  } catch (e) {
    throw new EngineError('MODEL_CORRUPT', `${f} is not valid JSON: ${(e as Error).message}`);
  }
}

const SHAPE_ONLY = new Set(['Reshape', 'Flatten', 'Dropout', 'Squeeze', 'Identity']);

export async function loadModel(spec: ModelSpec): Promise<LoadedModel> {
  // ONNX files (issue #4) share the sidecar, labels and preprocessing handling below.
  const onnx = /\.onnx$/i.test(spec.path);
  const files = onnx ? null : readModelFiles(spec.path);
  const side = readSidecar(files ? files.dir : path.dirname(spec.path));
  const outputLayer = spec.outputLayer ?? side.outputLayer;
  const model = !files ? await loadOnnxModel(spec.path, outputLayer)
    : files.format === 'tfjs-layers' ? await loadLayers(files, spec.path, outputLayer) : await loadGraph(files, spec.path, outputLayer);
  const labelsFile = spec.labels ?? side.labels;
  const labels = labelsFile ? readLabels(labelsFile) : null;
  if (labels && labels.length !== model.info.numClasses)
    throw new EngineError('BAD_ARGUMENT', `The labels file has ${labels.length} names but the model scores ${model.info.numClasses} classes.`);
  const [h, w] = model.info.inputShape;
  const preprocessing: Partial<Preprocessing> = { height: h, width: w, ...side.preprocessing, ...spec.preprocessing };
  return { model, labels, preprocessing };
}

function checkImageInput(shape: (number | null)[], where: string): [number, number, number] {
  if (shape.length !== 4)
    throw new EngineError('MODEL_NOT_IMAGE_CNN', `${where}: the model's input has rank ${shape.length - 1} (shape [${shape.join(',')}]); CNN Lens needs an image input [H, W, C].`);
  const [, h, w, c] = shape;
  if (!h || !w || !c) throw new EngineError('MODEL_NOT_IMAGE_CNN', `${where}: the input size is not fixed ([${shape.join(',')}]); export the model with a fixed H×W.`);
  if (c !== 1 && c !== 3) throw new EngineError('MODEL_NOT_IMAGE_CNN', `${where}: the input has ${c} channels; CNN Lens needs 1 (grey) or 3 (colour) channels last (NHWC).`);
  return [h, w, c];
}

async function loadLayers(files: ReturnType<typeof readModelFiles>, where: string, outputLayer?: string): Promise<EngineModel> {
  let lm: tfl.LayersModel;
  try {
    lm = await tfl.loadLayersModel(tf.io.fromMemory(files.artifacts));
  } catch (e) {
    throw new EngineError('MODEL_CORRUPT', `${where}: TensorFlow.js could not build the model: ${(e as Error).message}`);
  }
  try {
    const inputShape = checkImageInput(lm.inputs[0].shape, where);
    const layers: LayerInfo[] = lm.layers.map((l) => {
      const s = l.outputShape as (number | null)[];
      return { name: l.name, type: l.getClassName(), outputShape: (Array.isArray(s[0]) ? (s[0] as unknown as number[]) : s).slice(1) as number[] };
    });
    if (lm.outputs.length !== 1) throw new EngineError('MODEL_NOT_IMAGE_CNN', `${where}: the model has ${lm.outputs.length} outputs; CNN Lens needs one class-score output.`);
    const scoreLayer = outputLayer ?? findLayersScoreLayer(lm);
    const score = layers.find((l) => l.name === scoreLayer);
    if (!score) throw new EngineError('BAD_ARGUMENT', `Unknown output layer '${scoreLayer}'. Layers: ${layers.map((l) => l.name).join(', ')}`);
    const numClasses = score.outputShape.reduce((a, b) => a * b, 1);
    const spatial = layers.some((l) => /conv|pool/i.test(l.type) && l.outputShape.length === 3);
    if (!spatial || numClasses < 2 || score.outputShape.filter((d) => d > 1).length > 1)
      throw new EngineError('MODEL_NOT_IMAGE_CNN', `${where}: not an image classifier CNN (no convolution, or the output ${JSON.stringify(score.outputShape)} is not a vector of class scores).`);
    let built!: ReturnType<typeof buildLayersGraph>;
    tf.tidy(() => { built = buildLayersGraph(lm); });
    const owned: { dispose(): void }[] = built.weights;
    if (built.viaLayers) owned.push(lm); else lm.dispose();
    const info: ModelInfo = {
      name: lm.name, format: 'tfjs-layers', path: where, layers, inputShape, layout: 'nhwc', numClasses, scoreLayer,
      batchNormFolded: built.folded > 0, parameters: lm.countParams(),
    };
    return new OpGraphModel(info, built.graph, owned);
  } catch (e) {
    lm.dispose();
    throw e;
  }
}

/** The input of a final softmax (skipping reshapes/dropout after it), else the output layer itself. */
function findLayersScoreLayer(lm: tfl.LayersModel): string {
  // outputs[0].sourceLayer works for functional and Sequential models alike (Sequential has no outputLayers).
  let l = lm.outputs[0].sourceLayer as tfl.layers.Layer;
  const prev = (x: typeof l) => (x as any).inboundNodes[0]?.inboundLayers[0] as typeof l | undefined;
  while (SHAPE_ONLY.has(l.getClassName()) && prev(l)) l = prev(l)!;
  const c = l.getConfig() as any;
  const isSoftmax = (l.getClassName() === 'Activation' && c.activation === 'softmax') || l.getClassName() === 'Softmax';
  if (isSoftmax) return prev(l)!.name;
  if (c.activation === 'softmax')
    throw new EngineError('MODEL_UNSUPPORTED',
      `The last layer '${l.name}' applies softmax inside itself; pass --output-layer with a layer before it, or split the softmax into its own Activation layer.`);
  return lm.outputs[0].sourceLayer.name;
}

async function loadGraph(files: ReturnType<typeof readModelFiles>, where: string, outputLayer?: string): Promise<EngineModel> {
  let gm: tfc.GraphModel;
  try {
    gm = await tfc.loadGraphModel(tf.io.fromMemory(files.artifacts));
  } catch (e) {
    throw new EngineError('MODEL_CORRUPT', `${where}: TensorFlow.js could not build the graph model: ${(e as Error).message}`);
  }
  try {
    if (gm.inputs.length !== 1) throw new EngineError('MODEL_NOT_IMAGE_CNN', `${where}: the graph has ${gm.inputs.length} inputs; CNN Lens needs one image input.`);
    const input = gm.inputs[0];
    const inputShape = checkImageInput(input.shape ?? [], where);
    const nodes = (files.artifacts.modelTopology as any).node as { name: string; op: string; input?: string[] }[];
    const byName = new Map(nodes.map((n) => [n.name, n]));
    let scoreLayer = outputLayer;
    if (!scoreLayer) {
      let n = byName.get(gm.outputs[0].name.split(':')[0]);
      while (n && SHAPE_ONLY.has(n.op) && n.input?.length) n = byName.get(n.input[0].split(':')[0]);
      scoreLayer = n && n.op === 'Softmax' && n.input?.length ? n.input[0].split(':')[0] : gm.outputs[0].name.split(':')[0];
    }
    if (!byName.has(scoreLayer)) throw new EngineError('BAD_ARGUMENT', `Unknown output node '${scoreLayer}'.`);
    // Shapes are not stored in a graph: one forward pass on zeros measures them for the interesting nodes.
    const shown = nodes.filter((n) => !['Const', 'Placeholder', 'Identity', 'NoOp'].includes(n.op));
    const shapes = tf.tidy(() => {
      const outs = gm.execute({ [input.name]: tf.zeros([1, ...inputShape]) }, shown.map((n) => n.name));
      return (Array.isArray(outs) ? outs : [outs]).map((t) => t.shape.slice(1));
    });
    const layers: LayerInfo[] = shown.map((n, i) => ({ name: n.name, type: n.op, outputShape: shapes[i] as number[] }));
    const score = layers.find((l) => l.name === scoreLayer)!;
    const numClasses = score.outputShape.reduce((a, b) => a * b, 1);
    if (!nodes.some((n) => /Conv2D|DepthwiseConv/.test(n.op)) || numClasses < 2)
      throw new EngineError('MODEL_NOT_IMAGE_CNN', `${where}: not an image classifier CNN (no convolution, or ${numClasses} scores).`);
    const info: ModelInfo = {
      name: path.basename(path.dirname(path.resolve(where.endsWith('.json') ? where : path.join(where, 'model.json')))),
      format: 'tfjs-graph', path: where, layers, inputShape, layout: 'nhwc', numClasses, scoreLayer,
      batchNormFolded: !nodes.some((n) => /FusedBatchNorm/.test(n.op)),
      parameters: files.artifacts.weightSpecs!.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0),
    };
    return new ConverterModel(info, gm, input.name);
  } catch (e) {
    gm.dispose();
    throw e;
  }
}
