// A model as a plain graph of tf ops, evaluated in topological order. Differentiating this is ~10× faster than a
// tf.layers model (ENGINE_NOTES §3.5), and it lets any node's value be read or overridden (Grad-CAM, probing).
import * as tf from '@tensorflow/tfjs-core';
import type { ReluRule } from './reluRules';

export interface OpNode {
  name: string;
  /** The layer/op type shown to users. */
  type: string;
  inputs: string[];
  /** Output shape without batch (filled in at load time). */
  outputShape: number[];
  /** `rule` changes how ReLUs back-propagate (guided backprop, deconvnet); the forward value is the same. */
  apply(xs: tf.Tensor[], rule: ReluRule): tf.Tensor;
  /** Names of original layers folded into this node (e.g. a BatchNorm and a ReLU after a conv). */
  aliases?: string[];
  /** Value of this node before its fused activation, for aliases that name a pre-activation layer. */
  applyPre?(xs: tf.Tensor[]): tf.Tensor;
  /** Original layers whose output is this node's pre-activation value. */
  preAliases?: string[];
}

export class OpGraph {
  private readonly byName = new Map<string, OpNode>();
  constructor(readonly nodes: OpNode[], readonly inputName: string) {
    for (const n of nodes) this.byName.set(n.name, n);
  }

  /** Resolves a user-facing layer name to [node, pre-activation?]. */
  resolve(name: string): { node: OpNode; pre: boolean } | null {
    const direct = this.byName.get(name);
    if (direct) return { node: direct, pre: false };
    for (const n of this.nodes) {
      if (n.aliases?.includes(name)) return { node: n, pre: false };
      if (n.preAliases?.includes(name)) return { node: n, pre: true };
    }
    return null;
  }

  /**
   * Evaluates the graph up to the requested outputs. `overrides` replace a node's value (so that gradients can be
   * taken with respect to an intermediate activation). Evaluation stops once every output is known.
   */
  run(x: tf.Tensor, outputs: string[], overrides: Record<string, tf.Tensor> = {}, rule: ReluRule = 'normal'): Record<string, tf.Tensor> {
    const want = outputs.map((o) => {
      const r = this.resolve(o);
      if (!r) throw new Error(`unknown layer ${o}`);
      return { name: o, ...r };
    });
    const values = new Map<string, tf.Tensor>([[this.inputName, x]]);
    const result: Record<string, tf.Tensor> = {};
    let remaining = want.length;
    const take = (n: OpNode, xs: tf.Tensor[]) => {
      for (const w of want) {
        if (w.node !== n || result[w.name]) continue;
        result[w.name] = w.pre ? n.applyPre!(xs) : values.get(n.name)!;
        remaining--;
      }
    };
    for (const w of want) if (w.node.name === this.inputName) { result[w.name] = x; remaining--; }
    for (const n of this.nodes) {
      if (remaining <= 0) break;
      if (n.name === this.inputName) continue;
      const xs = n.inputs.map((i) => values.get(i)!);
      values.set(n.name, overrides[n.name] ?? n.apply(xs, rule));
      take(n, xs);
    }
    return result;
  }
}
