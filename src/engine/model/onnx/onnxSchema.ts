// The official ONNX schema (onnx.proto from ONNX 1.12.0, Apache-2.0, see NOTICE.md), parsed by protobufjs at first
// use. esbuild's `text` loader (esbuild.mjs) inlines ./onnx.proto into the bundle, so no file is read at run time.
import * as protobuf from 'protobufjs';
import ONNX_PROTO_TEXT from './onnx.proto';

/** The schema's source text: ./onnx.proto, unmodified. */
export const ONNX_PROTO: string = ONNX_PROTO_TEXT;

let root: protobuf.Root | null = null;

/** The parsed schema; field names as in onnx.proto (keepCase). int64 fields decode as JS numbers. */
export function onnxSchema(): protobuf.Root {
  if (!root) {
    // Without Long, protobufjs returns int64 as numbers (exact up to 2^53, which covers every size and index).
    protobuf.util.Long = undefined as any;
    protobuf.configure();
    root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  }
  return root;
}
