// An ONNX image classifier as an EngineModel: NHWC input at the boundary (the executor's channels-last form of the
// model's NCHW input, so no transpose), logits = the graph output or the input of a final Softmax, named values =
// ONNX value names (node output names; a node's own name also resolves to its first output).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from '../../errors';
import type { EngineModel, LayerInfo, ModelInfo } from '../modelTypes';
import type { ReluRule } from '../reluRules';
import { toScores } from '../tfjsModel';
import { decodeOnnxModel } from './decodeModel';
import { channelsLast, logicalShape, plain, toChannelsLast, toPlain, type Value } from './layout';
import { OnnxExecutor } from './onnxExecutor';
import { prepareGraph, type PreparedGraph } from './onnxGraph';
import { checkSupported } from './opRegistry';

/** Ops that pass class scores through unchanged, skipped when looking for the Softmax before the output. */
const PASS_THROUGH = new Set(['Reshape', 'Flatten', 'Dropout', 'Squeeze', 'Identity']);
/** Nodes not shown as layers: constants and shape arithmetic. */
const HIDDEN = new Set(['Constant', 'Shape', 'Size', 'ConstantOfShape', 'Range']);

export class OnnxModel implements EngineModel {
  private readonly alias = new Map<string, string>();
  constructor(readonly info: ModelInfo, private readonly exec: OnnxExecutor, private readonly inputName: string, graph: PreparedGraph) {
    for (const n of graph.nodes) if (n.outputs[0] && !graph.producer.has(n.name)) this.alias.set(n.name, n.outputs[0]);
  }

  private valueName(name: string): string {
    if (name === 'logits') return this.info.scoreLayer;
    if (name === this.inputName || this.exec.graph.producer.has(name) || this.exec.graph.def.graph.initializers.has(name)) return name;
    const a = this.alias.get(name);
    if (a) return a;
    throw new EngineError('BAD_ARGUMENT', `Unknown layer '${name}' in ${this.info.name}. Layers: ${this.info.layers.map((l) => l.name).join(', ')}`);
  }

  logits(x: tf.Tensor4D): tf.Tensor2D {
    return this.forward(x, ['logits']).logits as tf.Tensor2D;
  }

  forward(x: tf.Tensor4D, outputs: string[], overrides?: Record<string, tf.Tensor>, rule?: ReluRule): Record<string, tf.Tensor> {
    if (x.rank !== 4 || x.shape[3] !== this.info.inputShape[2])
      throw new EngineError('INPUT_INVALID', `${this.info.name} expects NHWC input [N,${this.info.inputShape.join(',')}], got [${x.shape.join(',')}].`);
    const names = outputs.map((o) => this.valueName(o));
    // 4-D activations cross the interface NHWC, like every EngineModel's; inside they are NCHW held channels-last.
    const ov: Record<string, Value> = {};
    for (const [k, t] of Object.entries(overrides ?? {})) ov[this.valueName(k)] = t.rank === 4 ? channelsLast(t) : plain(t);
    const r = this.exec.run({ [this.inputName]: channelsLast(x) }, names, ov, rule);
    const out: Record<string, tf.Tensor> = {};
    outputs.forEach((o, i) => {
      const v = r[names[i]];
      out[o] = o === 'logits' ? toScores(toPlain(v)) : v.t.rank === 4 ? toChannelsLast(v) : toPlain(v);
    });
    return out;
  }

  dispose(): void { this.exec.dispose(); }
}

/** The input of a final Softmax (through reshapes/dropout), else the graph output itself. */
function findScoreValue(g: PreparedGraph): string {
  const out = g.def.graph.outputs[0].name;
  let v = out;
  for (let n = g.producer.get(v); n; n = g.producer.get(v)) {
    if (n.opType === 'Softmax' || n.opType === 'LogSoftmax') return n.inputs[0];
    if (!PASS_THROUGH.has(n.opType)) break;
    v = n.inputs[0];
  }
  return out;
}

/** Loads an .onnx file (external data next to it) as a differentiable EngineModel. */
export async function loadOnnxModel(file: string, outputNode?: string): Promise<EngineModel> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new EngineError('MODEL_NOT_FOUND', `Model not found: ${file}`);
  const def = decodeOnnxModel(fs.readFileSync(file), file);
  const g = prepareGraph(def, file);
  checkSupported(def.graph, def.opset, file, g.check);
  if (def.otherDomains.length && def.graph.nodes.some((n) => n.domain && n.domain !== 'ai.onnx'))
    throw new EngineError('MODEL_UNSUPPORTED', `${file}: operators from domain(s) ${def.otherDomains.join(', ')} are not supported.`);

  const inputs = def.graph.inputs;
  if (inputs.length !== 1) throw new EngineError('MODEL_NOT_IMAGE_CNN', `${file}: the graph has ${inputs.length} inputs; CNN Lens needs one image input.`);
  const dims = inputs[0].dims;
  if (!dims || dims.length !== 4)
    throw new EngineError('MODEL_NOT_IMAGE_CNN', `${file}: the input '${inputs[0].name}' has ${dims ? `rank ${dims.length}` : 'no declared shape'}; CNN Lens needs an NCHW image [N,C,H,W].`);
  const [, c, h, w] = dims;
  if (typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number' || !h || !w)
    throw new EngineError('MODEL_NOT_IMAGE_CNN', `${file}: the input size is not fixed ([${dims.join(',')}]); export the model with a fixed C×H×W.`);
  if (c !== 1 && c !== 3) throw new EngineError('MODEL_NOT_IMAGE_CNN', `${file}: the input has ${c} channels; CNN Lens needs 1 (grey) or 3 (colour).`);
  if (!def.graph.nodes.some((n) => n.opType === 'Conv'))
    throw new EngineError('MODEL_NOT_IMAGE_CNN', `${file}: the graph has no convolution; not an image CNN.`);

  const exec = new OnnxExecutor(g);
  try {
    let scoreLayer = findScoreValue(g);
    if (outputNode) {
      const n = g.nodes.find((m) => m.name === outputNode);
      scoreLayer = g.producer.has(outputNode) ? outputNode : n ? n.outputs[0] : '';
      if (!scoreLayer) throw new EngineError('BAD_ARGUMENT', `Unknown output node '${outputNode}'.`);
    }
    // One pass on zeros folds the shape arithmetic for batch 1 and measures every value's shape.
    const shown = g.nodes.filter((n) => !HIDDEN.has(n.opType) && n.outputs[0]);
    const names = [...new Set([...shown.map((n) => n.outputs[0]), scoreLayer])];
    const shapes = new Map<string, number[]>();
    try {
      tf.tidy(() => {
        const r = exec.run({ [inputs[0].name]: channelsLast(tf.zeros([1, h, w, c])) }, names);
        for (const [k, v] of Object.entries(r)) shapes.set(k, logicalShape(v));
      });
    } catch (e) {
      if (e instanceof EngineError) throw new EngineError(e.code, `${file}: ${e.message}`);
      throw new EngineError('MODEL_CORRUPT', `${file}: the graph cannot run on a [1,${c},${h},${w}] input: ${(e as Error).message}`);
    }
    // Shapes without the batch axis; 4-D (NCHW) activations are reported NHWC-style as [H, W, C], as the engine sees them.
    const hwc = (s: number[]) => (s.length === 4 ? [s[2], s[3], s[1]] : s.slice(1));
    const layers: LayerInfo[] = shown.map((n) => ({ name: n.outputs[0], type: n.opType, outputShape: hwc(shapes.get(n.outputs[0])!) }));
    const scoreShape = shapes.get(scoreLayer)!.slice(1);
    const numClasses = scoreShape.reduce((a, b) => a * b, 1);
    if (numClasses < 2 || scoreShape.filter((d) => d > 1).length > 1)
      throw new EngineError('MODEL_NOT_IMAGE_CNN', `${file}: the output '${scoreLayer}' has shape [${scoreShape.join(',')}], not a vector of class scores.`);
    let parameters = 0;
    for (const t of def.graph.initializers.values()) if (t.dtype === 'float32') parameters += t.data.length;
    const info: ModelInfo = {
      name: path.basename(file).replace(/\.onnx$/i, ''), format: 'onnx', path: file, layers, inputShape: [h, w, c], layout: 'nchw',
      numClasses, scoreLayer, batchNormFolded: !def.graph.nodes.some((n) => n.opType === 'BatchNormalization'), parameters,
    };
    return new OnnxModel(info, exec, inputs[0].name, g);
  } catch (e) {
    exec.dispose();
    throw e;
  }
}
