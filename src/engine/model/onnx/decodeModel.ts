// Decodes an ONNX file (ModelProto, official schema via protobufjs) into plain structures: nodes with typed
// attributes, initializers as host tensors (external data included), graph inputs/outputs with their shapes.
// Anything malformed becomes EngineError('MODEL_CORRUPT'), never a crash.
import * as path from 'node:path';
import { EngineError } from '../../errors';
import { onnxSchema } from './onnxSchema';
import { decodeTensor, ExternalData, type HostTensor } from './tensorProto';

export type AttrValue = number | string | number[] | string[] | HostTensor | HostTensor[];

export interface NodeDef {
  /** Unique: the node's own name, or `<OpType>_<index>` when the file leaves it empty. */
  name: string;
  opType: string;
  domain: string;
  /** Input value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
  /** Attributes that hold sub-graphs (If/Loop/Scan bodies): only recorded, never run. */
  graphAttrs: string[];
}

export interface ValueInfo {
  name: string;
  /** TensorProto.DataType, 0 when the file does not say. */
  elemType: number;
  /** Dimensions, a string for a symbolic one (e.g. 'batch'), null for unknown; null when the rank is unknown. */
  dims: (number | string | null)[] | null;
}

export interface GraphDef {
  name: string;
  nodes: NodeDef[];
  initializers: Map<string, HostTensor>;
  /** Real inputs (initializers listed as inputs by old exporters are removed). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface OnnxModelDef {
  irVersion: number;
  /** Opset of the default (ai.onnx) domain. */
  opset: number;
  /** Other operator domains the model imports, e.g. com.microsoft. */
  otherDomains: string[];
  producer: string;
  graph: GraphDef;
}

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;
const utf8 = (b: Uint8Array | string): string => (typeof b === 'string' ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));

function decodeAttr(a: any, ext: ExternalData | null, where: string): AttrValue | 'graph' {
  // Old files may omit `type`: infer it from the field that is set.
  let type = Number(a.type ?? 0);
  if (!type) {
    const has = (k: string) => Object.prototype.hasOwnProperty.call(a, k);
    type = has('f') ? ATTR.FLOAT : has('i') ? ATTR.INT : has('s') ? ATTR.STRING : has('t') ? ATTR.TENSOR : has('g') ? ATTR.GRAPH
      : a.floats?.length ? ATTR.FLOATS : a.ints?.length ? ATTR.INTS : a.strings?.length ? ATTR.STRINGS : a.tensors?.length ? ATTR.TENSORS : 0;
  }
  switch (type) {
    case ATTR.FLOAT: return Number(a.f);
    case ATTR.INT: return Number(a.i);
    case ATTR.STRING: return utf8(a.s ?? '');
    case ATTR.TENSOR: if (!a.t) throw new EngineError('MODEL_CORRUPT', `${where}: attribute '${a.name}' has no tensor.`); return decodeTensor(a.t, ext, where);
    case ATTR.FLOATS: return (a.floats ?? []).map(Number);
    case ATTR.INTS: return (a.ints ?? []).map(Number);
    case ATTR.STRINGS: return (a.strings ?? []).map(utf8);
    case ATTR.TENSORS: return (a.tensors ?? []).map((t: any) => decodeTensor(t, ext, where));
    case ATTR.GRAPH: case ATTR.GRAPHS: return 'graph';
    default: return (a.ints ?? []).map(Number); // an empty list of unknown kind (e.g. `ints` with no values)
  }
}

function valueInfo(v: any): ValueInfo {
  const tt = v.type?.tensor_type;
  const dims = tt?.shape ? (tt.shape.dim ?? []).map((d: any) =>
    Object.prototype.hasOwnProperty.call(d, 'dim_value') ? Number(d.dim_value) : d.dim_param ? String(d.dim_param) : null) : null;
  return { name: String(v.name ?? ''), elemType: Number(tt?.elem_type ?? 0), dims };
}

/**
 * Decodes model bytes. `file` (the .onnx path) locates external-data files; null forbids external data.
 * protobufjs throws on truncated or malformed wire data; every such error becomes MODEL_CORRUPT.
 */
export function decodeOnnxModel(bytes: Uint8Array, file: string | null): OnnxModelDef {
  const where = file ?? 'ONNX model';
  let m: any;
  try {
    m = onnxSchema().lookupType('onnx.ModelProto').decode(bytes);
  } catch (e) {
    throw new EngineError('MODEL_CORRUPT', `${where} is not a valid ONNX file (${(e as Error).message}); is it truncated or not an .onnx model?`);
  }
  if (!m.graph) throw new EngineError('MODEL_CORRUPT', `${where} holds no graph: not an ONNX model.`);
  const opsets = (m.opset_import ?? []) as { domain?: string; version?: number }[];
  const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  // IR version 3+ must import the default domain; very old files without opset_import are opset 1.
  if (!main && opsets.length)
    throw new EngineError('MODEL_UNSUPPORTED', `${where} only uses the operator domain(s) ${opsets.map((o) => o.domain).join(', ')}; CNN Lens supports the standard ai.onnx operators.`);
  const opset = main ? Number(main.version) : 1;
  if (!Number.isSafeInteger(opset) || opset < 1)
    throw new EngineError('MODEL_CORRUPT', `${where}: the model does not import the standard ONNX operator set (opset_import: ${JSON.stringify(opsets)}).`);
  const ext = file ? new ExternalData(path.dirname(path.resolve(file))) : null;
  try {
    const g = m.graph;
    const initializers = new Map<string, HostTensor>();
    for (const t of g.initializer ?? []) {
      if (!t.name) throw new EngineError('MODEL_CORRUPT', `${where}: an initializer has no name.`);
      initializers.set(String(t.name), decodeTensor(t, ext, where));
    }
    if ((g.sparse_initializer ?? []).length)
      throw new EngineError('MODEL_UNSUPPORTED', `${where}: sparse initializers are not supported.`);
    const used = new Set<string>();
    const nodes: NodeDef[] = (g.node ?? []).map((n: any, i: number) => {
      const opType = String(n.op_type ?? '');
      if (!opType) throw new EngineError('MODEL_CORRUPT', `${where}: node #${i} has no operator type.`);
      let name = String(n.name ?? '') || `${opType}_${i}`;
      while (used.has(name)) name = `${name}_${i}`;
      used.add(name);
      const attrs = new Map<string, AttrValue>();
      const graphAttrs: string[] = [];
      for (const a of n.attribute ?? []) {
        const v = decodeAttr(a, ext, `${where}: node '${name}'`);
        if (v === 'graph') graphAttrs.push(String(a.name)); else attrs.set(String(a.name), v);
      }
      return {
        name, opType, domain: String(n.domain ?? ''), inputs: (n.input ?? []).map(String), outputs: (n.output ?? []).map(String), attrs, graphAttrs,
      };
    });
    return {
      irVersion: Number(m.ir_version ?? 0), opset,
      otherDomains: opsets.filter((o) => o.domain && o.domain !== 'ai.onnx').map((o) => String(o.domain)),
      producer: [m.producer_name, m.producer_version].filter(Boolean).join(' '),
      graph: {
        name: String(g.name ?? ''), nodes, initializers,
        inputs: (g.input ?? []).map(valueInfo).filter((v: ValueInfo) => !initializers.has(v.name)),
        outputs: (g.output ?? []).map(valueInfo),
      },
    };
  } finally {
    ext?.close();
  }
}
