// The decoded graph made ready to run: validated (every value produced once, no cycles, sane attribute sizes),
// sorted topologically, and annotated with the fusions the executor may use (zero Pad → Conv → Relu/Clip).
import { EngineError } from '../../errors';
import type { GraphDef, NodeDef, OnnxModelDef } from './decodeModel';
import type { CheckCtx, Fusion } from './opTypes';
import type { HostTensor } from './tensorProto';

export interface FusionGroup {
  conv: NodeDef;
  /** A zero, constant-mode Pad whose only consumer is the conv. */
  pad?: NodeDef;
  /** A Relu/Clip that is the conv output's only consumer. */
  act?: NodeDef;
  fusion: Fusion;
}

export interface PreparedGraph {
  def: OnnxModelDef;
  nodes: NodeDef[];
  producer: Map<string, NodeDef>;
  consumers: Map<string, NodeDef[]>;
  /** conv node name → its fusion group. */
  fusions: Map<string, FusionGroup>;
  /** Pad/activation node name → the conv node that absorbs it. */
  absorbedBy: Map<string, string>;
  check: CheckCtx;
}

/** Integer attributes that size tensors; a corrupt file must not make them allocate gigabytes. */
const SIZE_ATTRS = new Set(['pads', 'strides', 'dilations', 'kernel_shape', 'output_padding', 'output_shape', 'size', 'group', 'num_outputs']);
const SIZE_LIMIT = 1 << 16;

/** Clip's [min, max] when known at load time (attributes before opset 11, constant inputs after). */
function clipBoundsStatic(n: NodeDef, opset: number, constant: (name: string) => HostTensor | undefined): [number, number] | null {
  const FLOAT_MAX = 3.4028234663852886e38;
  const inf = (v: number) => (v >= FLOAT_MAX ? Infinity : v <= -FLOAT_MAX ? -Infinity : v);
  if (opset < 11) return [inf(Number(n.attrs.get('min') ?? -Infinity)), inf(Number(n.attrs.get('max') ?? Infinity))];
  const read = (i: number, d: number) => (n.inputs[i] ? constant(n.inputs[i])?.data[0] : d);
  const lo = read(1, -Infinity), hi = read(2, Infinity);
  return lo === undefined || hi === undefined ? null : [inf(lo), inf(hi)];
}

function sortTopologically(g: GraphDef, where: string): { nodes: NodeDef[]; producer: Map<string, NodeDef> } {
  const producer = new Map<string, NodeDef>();
  const available = new Set<string>(['', ...g.initializers.keys(), ...g.inputs.map((i) => i.name)]);
  for (const n of g.nodes) for (const o of n.outputs) {
    if (!o) continue;
    if (producer.has(o) || g.initializers.has(o) || g.inputs.some((i) => i.name === o))
      throw new EngineError('MODEL_CORRUPT', `${where}: value '${o}' is produced twice (by node '${n.name}').`);
    producer.set(o, n);
  }
  for (const n of g.nodes) for (const i of n.inputs)
    if (!available.has(i) && !producer.has(i))
      throw new EngineError('MODEL_CORRUPT', `${where}: node '${n.name}' (${n.opType}) reads '${i}', which no node, input or initializer provides.`);
  for (const o of g.outputs)
    if (!available.has(o.name) && !producer.has(o.name)) throw new EngineError('MODEL_CORRUPT', `${where}: graph output '${o.name}' is never computed.`);
  // Kahn's algorithm, keeping file order among ready nodes.
  const pending = new Map(g.nodes.map((n) => [n, new Set(n.inputs.filter((i) => !available.has(i)))]));
  const waiting = new Map<string, NodeDef[]>();
  for (const [n, deps] of pending) for (const d of deps) waiting.set(d, [...(waiting.get(d) ?? []), n]);
  const ready = g.nodes.filter((n) => pending.get(n)!.size === 0);
  const order: NodeDef[] = [];
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    const woken: NodeDef[] = [];
    for (const o of n.outputs) for (const m of waiting.get(o) ?? []) {
      const deps = pending.get(m)!;
      deps.delete(o);
      if (deps.size === 0) woken.push(m);
    }
    woken.sort((a, b) => index.get(a)! - index.get(b)!);
    ready.push(...woken);
  }
  if (order.length !== g.nodes.length) {
    const stuck = g.nodes.find((n) => pending.get(n)!.size > 0)!;
    throw new EngineError('MODEL_CORRUPT', `${where}: the graph has a cycle (node '${stuck.name}' depends on its own output).`);
  }
  return { nodes: order, producer };
}

export function prepareGraph(def: OnnxModelDef, where: string): PreparedGraph {
  const g = def.graph;
  for (const n of g.nodes) for (const [k, v] of n.attrs) {
    if (SIZE_ATTRS.has(k) && (Array.isArray(v) ? v : [v]).some((x) => typeof x === 'number' && Math.abs(x) > SIZE_LIMIT))
      throw new EngineError('MODEL_CORRUPT', `${where}: node '${n.name}' has an implausible ${k} (${JSON.stringify(v)}).`);
  }
  const { nodes, producer } = sortTopologically(g, where);
  const consumers = new Map<string, NodeDef[]>();
  for (const n of nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);

  const constant = (name: string): HostTensor | undefined => {
    const init = g.initializers.get(name);
    if (init) return init;
    const p = producer.get(name);
    const v = p?.opType === 'Constant' ? p.attrs.get('value') : undefined;
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  };
  const declared = new Map([...g.inputs, ...g.outputs].map((v) => [v.name, v.dims?.length]));
  const check: CheckCtx = { constant, rank: (name) => declared.get(name) ?? constant(name)?.dims.length };

  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const sole = (value: string): NodeDef | null => {
    const c = consumers.get(value) ?? [];
    return c.length === 1 && !graphOutputs.has(value) ? c[0] : null;
  };
  const fusions = new Map<string, FusionGroup>();
  const absorbedBy = new Map<string, string>();
  for (const conv of nodes) {
    if (conv.opType !== 'Conv' || !constant(conv.inputs[1]) || (constant(conv.inputs[1])!.dims.length !== 4)) continue;
    const group: FusionGroup = { conv, fusion: {} };
    // Zero Pad on the spatial axes only, read by nothing else, before a conv with explicit pads.
    const pad = producer.get(conv.inputs[0]);
    const auto = conv.attrs.get('auto_pad');
    if (pad?.opType === 'Pad' && sole(pad.outputs[0]) === conv && (!auto || auto === 'NOTSET' || auto === 'VALID')) {
      const pads = def.opset < 11 ? (pad.attrs.get('pads') as number[] | undefined) : constant(pad.inputs[1]) ? Array.from(constant(pad.inputs[1])!.data) : undefined;
      const value = def.opset < 11 ? Number(pad.attrs.get('value') ?? 0) : pad.inputs[2] ? constant(pad.inputs[2])?.data[0] : 0;
      const mode = pad.attrs.get('mode') ?? 'constant';
      const axesOk = def.opset < 18 || !pad.inputs[3];
      if (pads && pads.length === 8 && value === 0 && mode === 'constant' && axesOk && pads.every((p) => p >= 0) && !pads[0] && !pads[1] && !pads[4] && !pads[5]) {
        group.pad = pad;
        group.fusion.pads = [pads[2], pads[3], pads[6], pads[7]];
      }
    }
    const act = sole(conv.outputs[0]);
    if (act && (act.opType === 'Relu' || act.opType === 'Clip')) {
      const b = act.opType === 'Relu' ? [0, Infinity] : clipBoundsStatic(act, def.opset, constant);
      if (b && b[0] === 0) {
        group.act = act;
        group.fusion.act = b[1] === Infinity ? { kind: 'relu' } : b[1] === 6 ? { kind: 'relu6' } : { kind: 'clip', min: 0, max: b[1] };
      }
    }
    if (group.pad || group.act) {
      fusions.set(conv.name, group);
      if (group.pad) absorbedBy.set(group.pad.name, conv.name);
      if (group.act) absorbedBy.set(group.act.name, conv.name);
    }
  }
  return { def, nodes, producer, consumers, fusions, absorbedBy, check };
}
