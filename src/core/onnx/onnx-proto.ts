// Loads onnx-proto's message classes in every runtime (its CommonJS `module.exports = $root` has no named ESM exports).

import onnxProtoModule from 'onnx-proto';

// `import { onnx } from 'onnx-proto'` fails in Node's ESM loader ("does not provide an export named 'onnx'"):
// cjs-module-lexer cannot see through `module.exports = $root`. The default import works in Node, Vite and vitest.
// Types: `import type { onnx } from 'onnx-proto'`.
export const OnnxProto = onnxProtoModule.onnx;
