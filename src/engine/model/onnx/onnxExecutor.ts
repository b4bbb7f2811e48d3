// Runs a prepared ONNX graph on TF.js tensors. Values that do not depend on the data — initializers, Constants and
// the shape arithmetic torch exports emit (Shape→Gather→Concat→Reshape) — are computed once per input shape and
// kept ("folded"); each later call runs only the data-dependent nodes. Requested values may be read and replaced
// (`overrides`) anywhere, which switches off the fusions that would hide them.
import * as tf from '@tensorflow/tfjs-core';
import type { ReluRule } from '../reluRules';
import type { NodeDef } from './decodeModel';
import { toPlain, plain, type Value } from './layout';
import type { PreparedGraph } from './onnxGraph';
import { OPS } from './opRegistry';
import { hostToTensor } from './opsShape';
import type { Fusion, OpCtx } from './opTypes';

/** A node as it runs in one configuration: possibly a conv with its Pad and activation folded in. */
interface Step {
  node: NodeDef;
  inputs: string[];
  outputs: string[];
  fusion?: Fusion;
}

/** Everything known for one input shape: the folded values, weights converted for TF.js, host reads. */
interface Plan {
  folded: Map<string, Value>;
  memo: Map<string, tf.Tensor>;
  reads: Map<string, number[]>;
}

const MAX_PLANS = 4;
/** Ops whose value depends only on the shape of their input, which a plan fixes. */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

export class OnnxExecutor {
  private readonly weights = new Map<string, Value>();
  private readonly plans = new Map<string, Plan>();
  private readonly stepCache = new Map<string, Step[]>();

  constructor(readonly graph: PreparedGraph) {
    for (const [name, h] of graph.def.graph.initializers) this.weights.set(name, plain(tf.keep(hostToTensor(h))));
  }

  /** The runnable steps (with fusions) for a set of requested and overridden values, only those needed. */
  private steps(outputs: string[], overridden: Set<string>): Step[] {
    const key = `${outputs.join('\u0000')}\u0001${[...overridden].sort().join('\u0000')}`;
    const hit = this.stepCache.get(key);
    if (hit) return hit;
    const want = new Set(outputs);
    const visible = (v: string) => want.has(v) || overridden.has(v);
    const all: Step[] = [];
    const skip = new Set<NodeDef>();
    for (const n of this.graph.nodes) {
      if (skip.has(n)) continue;
      const grp = this.graph.fusions.get(n.name);
      if (!grp) { all.push({ node: n, inputs: n.inputs, outputs: n.outputs }); continue; }
      const usePad = grp.pad && !visible(grp.pad.outputs[0]) && !overridden.has(grp.pad.outputs[0]);
      const useAct = grp.act && !visible(n.outputs[0]) && !overridden.has(grp.act.outputs[0]);
      const fusion: Fusion = { pads: usePad ? grp.fusion.pads : undefined, act: useAct ? grp.fusion.act : undefined };
      // The Pad was emitted earlier in topological order; drop it if folded into this conv.
      if (usePad) { const i = all.findIndex((s) => s.node === grp.pad); if (i >= 0) all.splice(i, 1); }
      if (useAct) skip.add(grp.act!);
      all.push({
        node: n,
        inputs: usePad ? [grp.pad!.inputs[0], ...n.inputs.slice(1)] : n.inputs,
        outputs: useAct ? grp.act!.outputs : n.outputs,
        fusion: usePad || useAct ? fusion : undefined,
      });
    }
    // Keep only the steps the requested values depend on (an overridden value needs nothing upstream).
    const producer = new Map<string, Step>();
    for (const s of all) for (const o of s.outputs) producer.set(o, s);
    const needed = new Set<Step>();
    const stack = outputs.filter((o) => !overridden.has(o));
    const seen = new Set<string>();
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      const s = producer.get(v);
      if (!s || needed.has(s)) continue;
      needed.add(s);
      for (const i of s.inputs) if (i && !overridden.has(i)) stack.push(i);
    }
    const result = all.filter((s) => needed.has(s));
    if (this.stepCache.size > 64) this.stepCache.clear();
    this.stepCache.set(key, result);
    return result;
  }

  private plan(inputs: Record<string, Value>): Plan {
    const key = Object.entries(inputs).map(([k, v]) => `${k}:${v.cl ? 'cl' : ''}${v.t.shape.join('x')}:${v.t.dtype}`).join('|');
    let p = this.plans.get(key);
    if (!p) {
      if (this.plans.size >= MAX_PLANS) {
        const [oldKey, old] = this.plans.entries().next().value as [string, Plan];
        disposePlan(old);
        this.plans.delete(oldKey);
      }
      p = { folded: new Map(), memo: new Map(), reads: new Map() };
      this.plans.set(key, p);
    }
    return p;
  }

  /**
   * Values of `outputs` (ONNX value names) for the given inputs. The result holds fresh tensors owned by the caller
   * (folded values are cloned), on the gradient tape when called under one.
   */
  run(inputs: Record<string, Value>, outputs: string[], overrides: Record<string, Value> = {}, rule: ReluRule = 'normal'): Record<string, Value> {
    const overridden = new Set(Object.keys(overrides));
    const plan = this.plan(inputs);
    // Replacing a folded value invalidates what was folded from it: run uncached, keeping nothing.
    const cacheable = ![...overridden].some((k) => plan.folded.has(k) || this.weights.has(k));
    const folded = cacheable ? plan.folded : new Map<string, Value>();
    const values = new Map<string, Value>(Object.entries(inputs));
    for (const [k, v] of Object.entries(overrides)) values.set(k, v);
    const lookup = (name: string): Value | undefined => (name ? values.get(name) ?? folded.get(name) ?? this.weights.get(name) : undefined);
    const isStatic = (name: string) => !values.has(name) && (folded.has(name) || this.weights.has(name));

    for (const step of this.steps(outputs, overridden)) {
      if (step.outputs.every((o) => !o || values.has(o) || folded.has(o))) continue;
      const n = step.node;
      const def = OPS[n.opType];
      const ins = step.inputs.map((name) => {
        if (!name) return undefined;
        const v = lookup(name);
        if (!v) throw new Error(`value '${name}' needed by '${n.name}' is not available`);
        return v;
      });
      const fold = (n.inputs.length === 0 || SHAPE_ONLY.has(n.opType) || step.inputs.every((i) => !i || isStatic(i))) && !step.fusion?.act;
      const ctx: OpCtx = {
        node: n, opset: this.graph.def.opset, rule, fusion: step.fusion,
        isStatic: (i) => !!step.inputs[i] && isStatic(step.inputs[i]),
        read: (i) => {
          const name = step.inputs[i];
          const v = ins[i];
          if (!v) throw new Error(`${n.opType} '${n.name}' needs input ${i}`);
          const cached = isStatic(name) && cacheable ? plan.reads.get(name) : undefined;
          if (cached) return cached;
          const t = toPlain(v);
          const r = Array.from(t.dataSync());
          if (t !== v.t) t.dispose();
          if (isStatic(name) && cacheable) plan.reads.set(name, r);
          return r;
        },
        memo: (key, make) => {
          if (!cacheable) return make();
          const k = `${n.name}\u0000${key}`;
          let t = plan.memo.get(k);
          if (!t) { t = tf.keep(tf.tidy(make)); plan.memo.set(k, t); }
          return t;
        },
      };
      const prepared = def.layoutAware ? ins : ins.map((v) => (v && v.cl ? plain(toPlain(v)) : v));
      let outs: Value[];
      try {
        // Folded steps run in their own scope (only their outputs are kept); data steps run in the caller's scope,
        // like OpGraph, which saves a tidy per node on the hot path.
        outs = fold && cacheable ? tf.tidy(() => def.run(prepared, ctx) as unknown as tf.TensorContainer) as unknown as Value[] : def.run(prepared, ctx);
      } catch (e) {
        const err = e as Error;
        if ((err as any).code) throw err;
        throw new Error(`${n.opType} node '${n.name}' failed: ${err.message}`);
      }
      step.outputs.forEach((o, i) => {
        if (!o || !outs[i]) return;
        if (fold && cacheable) {
          // A folded value owns its tensor (an Identity of a weight must not share the weight's).
          const shared = ins.some((v) => v?.t === outs[i].t);
          const t = tf.keep(shared ? tf.clone(outs[i].t) : outs[i].t);
          folded.set(o, { t, cl: outs[i].cl });
        } else values.set(o, outs[i]);
      });
    }
    const result: Record<string, Value> = {};
    for (const o of outputs) {
      const v = values.get(o) ?? (folded.get(o) || this.weights.get(o) ? { ...(folded.get(o) ?? this.weights.get(o))! } : undefined);
      if (!v) throw new Error(`value '${o}' was not computed`);
      // Folded values belong to the plan; the caller gets a copy it may dispose.
      result[o] = values.has(o) ? v : { t: tf.clone(v.t), cl: v.cl };
    }
    return result;
  }

  dispose(): void {
    for (const p of this.plans.values()) disposePlan(p);
    this.plans.clear();
    for (const w of this.weights.values()) w.t.dispose();
    this.weights.clear();
  }
}

function disposePlan(p: Plan): void {
  for (const v of p.folded.values()) v.t.dispose();
  for (const t of p.memo.values()) t.dispose();
  p.folded.clear(); p.memo.clear(); p.reads.clear();
}
