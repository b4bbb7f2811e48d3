// Every supported ONNX operator, and the load-time check that names what is not supported before anything runs.
import { EngineError } from '../../errors';
import type { GraphDef } from './decodeModel';
import { activationOps } from './opsActivation';
import { convOps } from './opsConv';
import { elementwiseOps } from './opsElementwise';
import { matMulOps } from './opsMatMul';
import { normalizationOps } from './opsNormalization';
import { poolOps } from './opsPool';
import { reduceOps } from './opsReduce';
import { resizeOps } from './opsResize';
import { shapeOps } from './opsShape';
import type { CheckCtx, OpDef } from './opTypes';

export const OPS: Record<string, OpDef> = {
  ...elementwiseOps, ...activationOps, ...convOps, ...poolOps, ...normalizationOps, ...reduceOps, ...matMulOps, ...shapeOps, ...resizeOps,
};

/** Operator sets this loader implements (ai.onnx): 7–21, and older files whose nodes avoid the pre-7 variants below. */
export const MIN_OPSET = 1, MAX_OPSET = 21;
/** Attributes of operator versions before opset 7 with semantics this loader does not implement. */
const LEGACY_ATTRS = ['broadcast', 'consumed_inputs', 'is_test', 'paddings', 'width_scale', 'height_scale'];

/**
 * Throws MODEL_UNSUPPORTED for the first problem: an opset out of range, an unknown operator (named with the first
 * node using it, the opset and how many nodes use it), or a node whose attributes ask for an unsupported variant.
 */
export function checkSupported(graph: GraphDef, opset: number, where: string, check: CheckCtx): void {
  if (opset < MIN_OPSET || opset > MAX_OPSET)
    throw new EngineError('MODEL_UNSUPPORTED', `${where}: opset ${opset} is not supported (CNN Lens reads ONNX opsets ${MIN_OPSET}–${MAX_OPSET}).`);
  const unknown = new Map<string, { first: string; count: number }>();
  for (const n of graph.nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    if (OPS[key] && !n.graphAttrs.length) continue;
    const u = unknown.get(key);
    if (u) u.count++; else unknown.set(key, { first: n.name, count: 1 });
  }
  if (unknown.size) {
    const list = [...unknown].map(([op, u]) => `${op} (${u.count} node${u.count > 1 ? 's' : ''}, first '${u.first}')`);
    throw new EngineError('MODEL_UNSUPPORTED',
      `${where}: unsupported ONNX operator${unknown.size > 1 ? 's' : ''} at opset ${opset}: ${list.join('; ')}. CNN Lens supports: ${Object.keys(OPS).sort().join(', ')}.`);
  }
  for (const n of graph.nodes) {
    const legacy = opset < 7 ? LEGACY_ATTRS.find((a) => n.attrs.has(a)) : undefined;
    const why = legacy ? `the pre-opset-7 attribute '${legacy}' is not supported` : OPS[n.opType].check?.(n, opset, check);
    if (why) throw new EngineError('MODEL_UNSUPPORTED', `${where}: node '${n.name}' (${n.opType}, opset ${opset}): ${why}.`);
  }
}
