// Engine results → the panel's JSON-safe entries (float32 and RGB bytes as base64), and back for exports.
import type { AttributionMap } from '../../engine/methods/attributionMethod';
import type { ProgressPayload } from '../../engine/worker/protocol';
import type { EncodedMap, ProgressUpdate } from '../../webview/explainPanelProtocol';

export function encodeFloats(data: Float32Array | number[]): string {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

export function decodeFloats(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  // Copy into an aligned buffer: Buffer pool slices may start at any byte offset.
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export function encodeMap(m: AttributionMap): EncodedMap {
  // Maps cross a worker boundary by structured clone; a typed array may arrive as a plain object of numbers.
  const data = m.data instanceof Float32Array ? m.data : Float32Array.from(Object.values(m.data as unknown as Record<string, number>));
  return { name: m.name, ...(m.area !== undefined ? { area: m.area } : {}), width: m.width, height: m.height, data: encodeFloats(data) };
}

export function encodeBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function progressUpdate(id: string, p: ProgressPayload, withMaps: boolean): ProgressUpdate {
  return {
    id, step: p.step, total: p.total,
    ...(p.terms ? { terms: p.terms } : {}),
    ...(withMaps && p.maps?.length ? { maps: p.maps.map(encodeMap) } : {}),
  };
}
