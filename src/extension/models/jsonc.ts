// jsonc-parser (Microsoft's JSON-with-comments parser: node offsets for diagnostics, format-preserving edits).
// Imported from its ES-module build: the package's default UMD build hides its internal requires from esbuild.
export {
  applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, printParseErrorCode,
} from 'jsonc-parser/lib/esm/main.js';
export type { Edit, JSONPath, Node as JsonNode, ParseError } from 'jsonc-parser/lib/esm/main.js';
