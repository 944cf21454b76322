// The ops that BOTH onnxruntime-web WebGPU EPs (JSEP and the native `onnxruntime-web/webgpu` EP) run on the GPU.

import type { onnx } from 'onnx-proto';
import { VarError } from '../../shared/errors';
import { ONNX_OPSET } from './graph-builder';
import { decodeModel } from './model-info';

/**
 * Op → caveat, checked at ai.onnx opset 17. Kernels are registered per op-version range (the native Transpose
 * kernel covers versions 13–20 only, Resize 13–17 is its own entry), so another opset needs this table re-checked.
 * Sources (onnxruntime 1.30 source, microsoft/onnxruntime): native `webgpu_execution_provider.cc` kernel table and
 * `webgpu_contrib_kernels.cc`; JSEP `js_execution_provider.cc`, `op-resolve-rules.ts`, `contrib_ops/js`.
 * Deliberately absent: GroupNormalization (no kernel in either EP, ORT #24538), TopK (native only), Identity,
 * RandomUniform / RandomNormal / Multinomial (CPU), ONNX Attention-23 and com.microsoft Attention with past (CPU fallback).
 */
const ONNX_OPS: Readonly<Record<string, string>> = {
  // element-wise
  Abs: '',
  Neg: '',
  Floor: '',
  Ceil: '',
  Reciprocal: '',
  Sqrt: '',
  Exp: '',
  Log: '',
  Erf: '',
  Sigmoid: '',
  Tanh: '',
  Sin: '',
  Cos: '',
  Not: '',
  Relu: '',
  LeakyRelu: '',
  Elu: '',
  Clip: 'min/max as inputs (opset 13)',
  Cast: 'from/to float16 needs the adapter feature shader-f16 (JSEP silently returns zeros without it)',
  DequantizeLinear: 'int8/uint8, per tensor or per axis (1-D scale) at opset 17; int4 and blocks only in newer opsets',
  Add: '',
  Sub: '',
  Mul: '',
  Div: '',
  Pow: 'fp16 overflow risk (ORT #31626)',
  Equal: '',
  Greater: '',
  GreaterOrEqual: '',
  Less: '',
  LessOrEqual: '',
  Where: '',
  // reductions
  ReduceMean: '',
  ReduceSum: '',
  ReduceMax: '',
  ReduceMin: '',
  ReduceSumSquare: '',
  ArgMax: '',
  CumSum: '',
  // shape and data movement (shape inputs of Reshape/Expand/Slice are read on the CPU by design)
  Shape: '',
  Reshape: '',
  Flatten: '',
  Squeeze: '',
  Unsqueeze: '',
  Transpose: 'JSEP: needs perf optimization',
  Concat: '',
  Split: '',
  Slice: '',
  Expand: '',
  Tile: '',
  Pad: '',
  Gather: 'int32 or int64 indices (native EP truncates int64 to i32)',
  GatherElements: '',
  // compute
  MatMul: '',
  Gemm: '',
  Conv: '2-D/1-D only',
  Softmax: '',
  InstanceNormalization: 'native EP keeps it in NCHW',
  LayerNormalization: 'opset 17',
  Resize: 'nearest / linear / cubic (2-D); antialias=1 is NOT_IMPLEMENTED on the native EP',
};

const MS_OPS: Readonly<Record<string, string>> = {
  MultiHeadAttention: 'past/present BNSH; no key_padding_mask, no packed QKV, no unidirectional',
  SkipLayerNormalization: '',
  FastGelu: '',
  Gelu: '',
  QuickGelu: '',
  BiasSplitGelu: '',
  MatMulNBits: 'JSEP: 4-bit only, block_size power of 2 ≥ 16; zero points uint8 only',
};

/** `ai.onnx` ops (domain '') and `com.microsoft` ops that both WebGPU EPs run natively. */
export const WEBGPU_OPS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['', new Set(Object.keys(ONNX_OPS))],
  ['com.microsoft', new Set(Object.keys(MS_OPS))],
]);

export interface UnsupportedNode {
  readonly node: string;
  readonly opType: string;
  readonly domain: string;
  readonly reason: string;
}

/** Lists every node that would not run on both WebGPU EPs (empty when the model is fine). */
export function findNonWebGpuNodes(model: onnx.IModelProto): UnsupportedNode[] {
  const problems: UnsupportedNode[] = [];
  const onnxOpset = model.opsetImport?.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version;
  if (Number(onnxOpset) !== ONNX_OPSET) {
    problems.push({
      node: '(model)',
      opType: '',
      domain: '',
      reason: `ai.onnx opset ${String(onnxOpset)}: the WebGPU op table was checked at opset ${ONNX_OPSET} only`,
    });
  }
  for (const node of model.graph?.node ?? []) {
    const domain = node.domain === 'ai.onnx' ? '' : (node.domain ?? '');
    const opType = node.opType ?? '';
    const name = node.name || (node.output?.[0] ?? '?');
    if (!WEBGPU_OPS.get(domain)?.has(opType)) {
      problems.push({ node: name, opType, domain, reason: 'no kernel in both WebGPU EPs' });
      continue;
    }
    if (domain === 'com.microsoft' && opType === 'MatMulNBits') {
      const attr = (n: string) => Number(node.attribute?.find((a) => a.name === n)?.i ?? Number.NaN);
      const bits = attr('bits');
      const block = attr('block_size');
      // JSEP (the default onnxruntime-web build) has only the 4-bit kernel (contrib_ops/js/quantization/matmul_nbits.h).
      if (bits !== 4 || !(block >= 16 && (block & (block - 1)) === 0)) {
        problems.push({
          node: name,
          opType,
          domain,
          reason: `bits=${bits}, block_size=${block}: JSEP runs 4-bit MatMulNBits with a power-of-2 block ≥ 16 only`,
        });
      }
      continue;
    }
    if (
      domain === '' &&
      opType === 'Resize' &&
      node.attribute?.some((a) => a.name === 'antialias' && Number(a.i) !== 0)
    ) {
      problems.push({ node: name, opType, domain, reason: 'antialias=1 is not implemented by the native WebGPU EP' });
    }
  }
  return problems;
}

/** Throws E_GRAPH_UNSUPPORTED_OP naming every node (and op) that is outside the WebGPU allowlist. */
export function assertWebGpuOps(model: onnx.IModelProto | Uint8Array): void {
  const proto = model instanceof Uint8Array ? decodeModel(model) : model;
  const problems = findNonWebGpuNodes(proto);
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.node} (${p.domain ? `${p.domain}:` : ''}${p.opType}): ${p.reason}`);
  throw new VarError(
    'E_GRAPH_UNSUPPORTED_OP',
    `Graph ${proto.graph?.name ?? '?'} has ${problems.length} node(s) that the WebGPU EPs do not run: ${list.slice(0, 10).join('; ')}${list.length > 10 ? '; …' : ''}`,
    { nodes: problems.map((p) => ({ ...p })) },
  );
}
