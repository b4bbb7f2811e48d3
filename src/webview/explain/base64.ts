// base64 ↔ bytes and float32 in the browser (messages and webview state carry binary data as base64 strings).
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function base64ToFloats(b64: string): Float32Array {
  const bytes = base64ToBytes(b64);
  return new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2);
}

/** The base64 payload of a data: URL (as canvas.toDataURL returns). */
export function dataUrlPayload(url: string): string {
  const i = url.indexOf(',');
  return i < 0 ? '' : url.slice(i + 1);
}
