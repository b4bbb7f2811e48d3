// A model as a plain graph of tf ops, evaluated in topological order. Differentiating this is ~10× faster than a
// tf.layers model (ENGINE_NOTES §3.5), and it lets any node's value be read or overridden (Grad-CAM, probing).
import * as tf from '@tensorflow/tfjs-core';
import type { ReluRule } from './reluRules';

/**
 * Where a user-facing layer name sits inside a fused node: its output (`post`), before its fused activation (`pre`,
 * e.g. a folded BatchNorm's output), or the raw convolution before the folded BatchNorm (`raw`).
 */
export type Stage = 'post' | 'pre' | 'raw';

export interface OpNode {
  name: string;
  /** The layer/op type shown to users. */
  type: string;
  inputs: string[];
  /** Output shape without batch (filled in at load time). */
  outputShape: number[];
  /** `rule` changes how ReLUs back-propagate (guided backprop, deconvnet); the forward value is the same. */
  apply(xs: tf.Tensor[], rule: ReluRule): tf.Tensor;
  /** Names of original layers whose value is this node's output (e.g. a ReLU fused after a conv). */
  aliases?: string[];
  /** Original layers whose value is this node's pre-activation value, and how to get and use it. */
  preAliases?: string[];
  applyPre?(xs: tf.Tensor[]): tf.Tensor;
  /** The node's fused activation: output from the pre-activation value. */
  activation?(pre: tf.Tensor, rule: ReluRule): tf.Tensor;
  /** The convolution folded with a BatchNorm: its raw output is recovered as (pre − shift)/scale. */
  rawAliases?: string[];
  bnScaleShift?: [tf.Tensor, tf.Tensor];
}

export class OpGraph {
  private readonly byName = new Map<string, OpNode>();
  constructor(readonly nodes: OpNode[], readonly inputName: string) {
    for (const n of nodes) this.byName.set(n.name, n);
  }

  /** Resolves a user-facing layer name to its node and stage. */
  resolve(name: string): { node: OpNode; stage: Stage } | null {
    const direct = this.byName.get(name);
    if (direct) return { node: direct, stage: 'post' };
    for (const n of this.nodes) {
      if (n.rawAliases?.includes(name)) return { node: n, stage: 'raw' };
      if (n.preAliases?.includes(name)) return { node: n, stage: 'pre' };
      if (n.aliases?.includes(name)) return { node: n, stage: 'post' };
    }
    return null;
  }

  /**
   * Evaluates the graph up to the requested outputs. `overrides` replace a layer's value (so that gradients can be
   * taken with respect to an intermediate activation); the rest of the fused node is applied after it. Evaluation
   * stops once every output is known.
   */
  run(x: tf.Tensor, outputs: string[], overrides: Record<string, tf.Tensor> = {}, rule: ReluRule = 'normal'): Record<string, tf.Tensor> {
    const want = outputs.map((o) => {
      const r = this.resolve(o);
      if (!r) throw new Error(`unknown layer ${o}`);
      return { name: o, ...r };
    });
    const forced = new Map<OpNode, { stage: Stage; t: tf.Tensor }>();
    for (const [k, t] of Object.entries(overrides)) {
      const r = this.resolve(k);
      if (!r) throw new Error(`unknown layer ${k}`);
      forced.set(r.node, { stage: r.stage, t });
    }
    const values = new Map<string, tf.Tensor>([[this.inputName, x]]);
    const result: Record<string, tf.Tensor> = {};
    let remaining = want.length;
    for (const w of want) if (w.node.name === this.inputName) { result[w.name] = x; remaining--; }
    for (const n of this.nodes) {
      if (remaining <= 0) break;
      if (n.name === this.inputName) continue;
      const xs = n.inputs.map((i) => values.get(i)!);
      const f = forced.get(n);
      // Stage values of this node, computed only when asked for or forced.
      let pre: tf.Tensor | undefined;
      let raw: tf.Tensor | undefined;
      if (f?.stage === 'raw') raw = f.t;
      if (f?.stage === 'pre') pre = f.t;
      const getRaw = () => (raw ??= tf.div(tf.sub(getPre(), n.bnScaleShift![1]), n.bnScaleShift![0]));
      const getPre = (): tf.Tensor => (pre ??= raw ? tf.add(tf.mul(raw, n.bnScaleShift![0]), n.bnScaleShift![1]) : n.applyPre!(xs));
      const post = f?.stage === 'post' ? f.t : f ? n.activation!(getPre(), rule) : n.apply(xs, rule);
      values.set(n.name, post);
      for (const w of want) {
        if (w.node !== n || result[w.name]) continue;
        result[w.name] = w.stage === 'post' ? post : w.stage === 'pre' ? getPre() : getRaw();
        remaining--;
      }
    }
    return result;
  }
}
