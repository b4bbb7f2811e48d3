// Turns a tf.layers (Keras) model into an OpGraph with BatchNorm folded into the preceding convolution and the
// following activation fused (ENGINE_NOTES §3.5). Layers it does not know are run through tfjs-layers itself.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { OpGraph, type OpNode } from './opGraph';
import { relu, relu6, type ReluRule } from './reluRules';
import { convWithInputGrad } from './convInputGrad';

type Act = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'elu' | 'softmax' | 'tanh' | 'softplus' | 'selu' | 'swish' | 'hard_sigmoid';
type Layer = LayersModel['layers'][number];

const FUSABLE = new Set(['linear', 'relu', 'relu6', 'sigmoid', 'elu']);

export function activate(x: tf.Tensor, act: string, rule: ReluRule = 'normal'): tf.Tensor {
  switch (act) {
    case 'linear': return x;
    case 'relu': return relu(x, rule);
    case 'relu6': return relu6(x, rule);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'elu': return tf.elu(x);
    case 'selu': return tf.selu(x);
    case 'softplus': return tf.softplus(x);
    case 'softmax': return tf.softmax(x);
    case 'swish': return tf.mul(x, tf.sigmoid(x));
    case 'hard_sigmoid': return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    default: throw new Error(`unsupported activation ${act}`);
  }
}

const cfgOf = (l: Layer) => l.getConfig() as Record<string, any>;
const actName = (a: unknown): Act => (typeof a === 'string' ? a : (a as any)?.className ?? 'linear').toLowerCase() as Act;
const pair = (v: number | number[]): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v]);

/** The activation a standalone layer applies, or null if it is not a pure activation layer. */
function standaloneActivation(l: Layer): Act | null {
  const c = cfgOf(l);
  switch (l.getClassName()) {
    case 'Activation': return actName(c.activation);
    case 'ReLU':
      if (c.negativeSlope || c.threshold) return null;
      if (c.maxValue == null) return 'relu';
      return (c.maxValue) === 6 ? 'relu6' : null;
    case 'Softmax': return 'softmax';
    default: return null;
  }
}

function inboundNames(l: Layer): string[] {
  const node = (l as any).inboundNodes[0];
  return node ? node.inboundLayers.map((p: Layer) => p.name) : [];
}

export interface LayersGraphResult {
  graph: OpGraph;
  /** Weights kept by the graph; disposed with the model. */
  weights: tf.Tensor[];
  folded: number;
  /** True when some layer runs through tfjs-layers, so the LayersModel must stay alive. */
  viaLayers: boolean;
}

export function buildLayersGraph(model: LayersModel): LayersGraphResult {
  const layers = model.layers;
  if (model.inputs.length !== 1) throw new Error('models with several inputs are not supported');
  const consumers = new Map<string, string[]>();
  for (const l of layers) for (const i of inboundNames(l)) consumers.set(i, [...(consumers.get(i) ?? []), l.name]);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const soleConsumer = (name: string): Layer | null => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 ? byName.get(c[0])! : null;
  };
  const kept: tf.Tensor[] = [];
  const keep = (t: tf.Tensor) => { const k = tf.keep(t); kept.push(k); return k; };
  const nodes: OpNode[] = [];
  const absorbed = new Set<string>();
  let folded = 0;
  /** Original layer name → the fused node that now produces its value. */
  const rename = new Map<string, string>();
  let viaLayers = false;
  const inputName = model.inputs[0].sourceLayer.name;
  const shapeOf = (l: Layer) => {
    const s = l.outputShape as (number | null)[];
    return (Array.isArray(s[0]) ? (s[0] as unknown as number[]) : s).slice(1) as number[];
  };

  for (const l of layers) {
    if (absorbed.has(l.name)) continue;
    const cls = l.getClassName();
    const c = cfgOf(l);
    const inputs = inboundNames(l).map((n) => resolveAbsorbed(n));
    const base = { name: l.name, type: cls, inputs, outputShape: shapeOf(l) };
    if (cls === 'InputLayer') { nodes.push({ ...base, inputs: [], apply: (xs) => xs[0] }); continue; }
    if (c.dataFormat === 'channels_first') { nodes.push(generic(l, base)); continue; }

    if (cls === 'Conv2D' || cls === 'DepthwiseConv2D') {
      const depthwise = cls === 'DepthwiseConv2D';
      const ws = l.getWeights();
      let kernel = ws[0];
      let bias: tf.Tensor | null = c.useBias ? ws[1] : null;
      let act = actName(c.activation);
      const aliases: string[] = [];
      const preAliases: string[] = [];
      const rawAliases: string[] = [];
      let bnKept: [tf.Tensor, tf.Tensor] | undefined;
      let last: Layer = l;
      // Fold a BatchNorm that only this conv feeds: W' = W·s, b' = β − mean·s + b·s, s = γ/√(var+ε).
      const bn = act === 'linear' ? soleConsumer(l.name) : null;
      if (bn && bn.getClassName() === 'BatchNormalization' && isLastAxisBN(bn)) {
        const [scale, shift] = bnScaleShift(bn);
        const s = depthwise ? tf.reshape(scale, [1, 1, kernel.shape[2]!, kernel.shape[3]!]) : scale;
        // The conv's own (pre-BatchNorm) value is recovered from the folded output when someone asks for it.
        const rawShift = bias ? tf.sub(shift, tf.mul(bias, scale)) : shift;
        bnKept = [keep(scale.clone()), keep(rawShift.clone())];
        kernel = tf.mul(kernel, s);
        bias = bias ? tf.add(tf.mul(bias, scale), shift) : shift;
        absorbed.add(bn.name); preAliases.push(bn.name); rawAliases.push(l.name); last = bn; folded++;
      } else if (act === 'linear') {
        preAliases.push(l.name);
      }
      // Fuse a following activation layer (relu/relu6…) so that gradients take the lazy, input-only path (§3.1).
      const next = act === 'linear' ? soleConsumer(last.name) : null;
      const nextAct = next ? standaloneActivation(next) : null;
      if (next && nextAct && FUSABLE.has(nextAct)) {
        act = nextAct; absorbed.add(next.name); aliases.push(next.name); last = next;
      }
      const kernelK = keep(kernel.clone());
      const biasK = bias ? keep(bias.clone()) : null;
      const strides = pair(c.strides), dil = pair(c.dilationRate ?? 1);
      const pad = c.padding as 'same' | 'valid';
      const conv = (x: tf.Tensor4D, fusedAct: string): tf.Tensor4D => {
        // Under a gradient tape fused ops with a non-linear activation split themselves; with a linear one they
        // would compute filter gradients too, so the linear case is spelled out (ENGINE_NOTES §3.1).
        if (fusedAct === 'linear') {
          const y = depthwise
            ? tf.depthwiseConv2d(x, kernelK as tf.Tensor4D, strides, pad, 'NHWC', dil)
            : tf.conv2d(x, kernelK as tf.Tensor4D, strides, pad, 'NHWC', dil);
          return biasK ? tf.add(y, biasK) : y;
        }
        const args = { x, filter: kernelK as tf.Tensor4D, strides, pad, dilations: dil, bias: biasK ?? undefined, activation: fusedAct as any };
        return depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
      };
      const finalAct = act;
      // One fused kernel under a tape too, where the input gradient can be taken without filter gradients.
      const fast = (finalAct === 'linear' || finalAct === 'relu' || finalAct === 'relu6') && (depthwise || (dil[0] === 1 && dil[1] === 1))
        ? convWithInputGrad({ depthwise, filter: kernelK as tf.Tensor4D, bias: biasK, strides, pad, dilations: dil, activation: finalAct })
        : null;
      const nodeName = last.name;
      nodes.push({
        ...base, name: nodeName, outputShape: shapeOf(last), type: depthwise ? 'DepthwiseConv2D' : 'Conv2D',
        aliases: [...(bnKept || nodeName === l.name ? [] : [l.name]), ...aliases].filter((a) => a !== nodeName),
        preAliases: preAliases.filter((a) => a !== nodeName), rawAliases, bnScaleShift: bnKept,
        // Without a tape, XNNPACK's fused conv is fastest, and its values are those predictions have always had.
        apply: ([x], rule) => (fast && rule === 'normal' && tf.engine().state.gradientDepth > 0 ? fast(x as tf.Tensor4D)
          : FUSABLE.has(finalAct) && (rule === 'normal' || (finalAct !== 'relu' && finalAct !== 'relu6'))
          ? conv(x as tf.Tensor4D, finalAct)
          : activate(conv(x as tf.Tensor4D, 'linear'), finalAct, rule)),
        applyPre: ([x]) => conv(x as tf.Tensor4D, 'linear'),
        activation: (pre, rule) => activate(pre, finalAct, rule),
      });
      rename.set(l.name, last.name);
      for (const a of aliases) rename.set(a, last.name);
      continue;
    }
    if (cls === 'Dense') {
      const ws = l.getWeights();
      const k = keep(ws[0].clone());
      const b = c.useBias ? keep(ws[1].clone()) : null;
      const act = actName(c.activation);
      const pre = ([x]: tf.Tensor[]) => {
        const y = x.rank === 2 ? tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D) : tf.dot(x, k);
        return b ? tf.add(y, b) : y;
      };
      nodes.push({ ...base, apply: (xs, rule) => activate(pre(xs), act, rule), applyPre: pre, activation: (p, rule) => activate(p, act, rule) });
      continue;
    }
    if (cls === 'BatchNormalization' && isLastAxisBN(l)) {
      const [s, b] = bnScaleShift(l).map((t) => keep(t.clone()));
      nodes.push({ ...base, apply: ([x]) => tf.add(tf.mul(x, s), b) });
      continue;
    }
    const sa = standaloneActivation(l);
    if (sa) { nodes.push({ ...base, apply: ([x], rule) => activate(x, sa, rule) }); continue; }
    const simple = simpleLayer(cls, c);
    nodes.push(simple ? { ...base, apply: simple } : generic(l, base));
  }

  // Layers absorbed into a fused node are referred to by that node's name.
  function resolveAbsorbed(n: string): string { return rename.get(n) ?? n; }
  for (const n of nodes) n.inputs = n.inputs.map(resolveAbsorbed);
  return { graph: new OpGraph(nodes, inputName), weights: kept, folded, viaLayers };

  function generic(l: Layer, base: Omit<OpNode, 'apply'>): OpNode {
    // Fallback: tfjs-layers runs the layer (keeps its weights alive; the LayersModel is not disposed in that case).
    viaLayers = true;
    return { ...base, type: `${base.type} (via tf.layers)`, apply: (xs) => l.apply(xs.length === 1 ? xs[0] : xs, { training: false }) as tf.Tensor };
  }
}

function isLastAxisBN(l: Layer): boolean {
  const a = cfgOf(l).axis;
  return a === -1 || a === 3 || (Array.isArray(a) && a.length === 1 && (a[0] === -1 || a[0] === 3));
}

function bnScaleShift(bn: Layer): [tf.Tensor, tf.Tensor] {
  const c = cfgOf(bn);
  const ws = bn.getWeights();
  let i = 0;
  const gamma = c.scale !== false ? ws[i++] : null;
  const beta = c.center !== false ? ws[i++] : null;
  const mean = ws[i++], variance = ws[i++];
  return tf.tidy(() => {
    let scale = tf.rsqrt(tf.add(variance, c.epsilon ?? 1e-3));
    if (gamma) scale = tf.mul(scale, gamma);
    let shift = tf.neg(tf.mul(mean, scale));
    if (beta) shift = tf.add(shift, beta);
    return [scale, shift];
  });
}

function simpleLayer(cls: string, c: Record<string, any>): ((xs: tf.Tensor[]) => tf.Tensor) | null {
  switch (cls) {
    case 'Dropout': case 'SpatialDropout2D': case 'GaussianNoise': case 'GaussianDropout': case 'ActivityRegularization':
      return ([x]) => x;
    case 'Flatten': return ([x]) => tf.reshape(x, [x.shape[0], -1]);
    case 'Reshape': return ([x]) => tf.reshape(x, [x.shape[0], ...(c.targetShape as number[])]);
    case 'ZeroPadding2D': {
      const p = c.padding as number | number[] | number[][];
      const [[t, b], [l, r]] = typeof p === 'number' ? [[p, p], [p, p]]
        : Array.isArray(p[0]) ? (p as number[][]) : [[p[0] as number, p[0] as number], [p[1] as number, p[1] as number]];
      return ([x]) => tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
    }
    case 'MaxPooling2D': case 'AveragePooling2D': {
      const size = pair(c.poolSize), strides = pair(c.strides ?? c.poolSize);
      return cls === 'MaxPooling2D'
        ? ([x]) => tf.maxPool(x as tf.Tensor4D, size, strides, c.padding)
        : ([x]) => tf.avgPool(x as tf.Tensor4D, size, strides, c.padding);
    }
    case 'GlobalAveragePooling2D': return ([x]) => tf.mean(x, [1, 2], c.keepDims ?? false);
    case 'GlobalMaxPooling2D': return ([x]) => tf.max(x, [1, 2], c.keepDims ?? false);
    case 'Add': return (xs) => tf.addN(xs);
    case 'Multiply': return (xs) => xs.reduce((a, b) => tf.mul(a, b));
    case 'Average': return (xs) => tf.div(tf.addN(xs), xs.length);
    case 'Maximum': return (xs) => xs.reduce((a, b) => tf.maximum(a, b));
    case 'Concatenate': return (xs) => tf.concat(xs, c.axis ?? -1);
    case 'LeakyReLU': return ([x]) => tf.leakyRelu(x, c.alpha ?? 0.3);
    case 'ReLU': return ([x]) => tf.clipByValue(tf.leakyRelu(x, c.negativeSlope ?? 0), -Infinity, c.maxValue ?? Infinity);
    case 'ELU': return ([x]) => tf.elu(x);
    default: return null;
  }
}
