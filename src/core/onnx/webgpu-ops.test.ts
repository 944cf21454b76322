import { describe, expect, it } from 'vitest';
import { hasErrorCode, type VarError } from '../../shared/errors';
import { GraphBuilder } from './graph-builder';
import { decodeModel } from './model-info';
import { OnnxProto } from './onnx-proto';
import { assertWebGpuOps, findNonWebGpuNodes, WEBGPU_OPS } from './webgpu-ops';

function thrown(fn: () => unknown): VarError {
  try {
    fn();
  } catch (error) {
    return error as VarError;
  }
  throw new Error('expected a throw');
}

describe('assertWebGpuOps', () => {
  it('rejects GroupNormalization (no kernel in either WebGPU EP), naming the node', () => {
    const b = new GraphBuilder('gn');
    const x = b.input('x', 'float32', [1, 64, 8, 8]);
    const scale = b.constant('float32', [32], new Float32Array(32).fill(1));
    const bias = b.constant('float32', [32], new Float32Array(32));
    b.scope('decoder.norm_out', () => b.op('GroupNormalization', [x, scale, bias], { num_groups: 32 }, { out: 'y' }));
    b.output('y', 'float32');
    const error = thrown(() => assertWebGpuOps(b.toModel().model));
    expect(hasErrorCode(error, 'E_GRAPH_UNSUPPORTED_OP')).toBe(true);
    expect(error.message).toContain('decoder.norm_out/GroupNormalization_');
    expect(error.message).toContain('(GroupNormalization)');
  });

  it('accepts allowlisted ai.onnx and com.microsoft ops; rejects TopK, Identity and Resize antialias', () => {
    const b = new GraphBuilder('mixed');
    const q = b.input('q', 'float32', [1, 4, 8]);
    const attn = b.op('MultiHeadAttention', [q, q, q], { num_heads: 2 }, { domain: 'com.microsoft' });
    b.op('Softmax', [attn], { axis: -1 }, { out: 'y' });
    b.output('y', 'float32');
    expect(() => assertWebGpuOps(b.toModel().model)).not.toThrow();

    const t = b.node('TopK', ['y', b.int64s([2])], 2, { axis: -1 });
    b.op('Identity', [t[0] as string]);
    b.op('Resize', [q, '', b.constant('float32', [3], Float32Array.of(1, 1, 2))], { mode: 'linear', antialias: 1 });
    const problems = findNonWebGpuNodes(decodeModel(b.toModel().model));
    expect(problems.map((p) => [p.opType, p.reason.startsWith('no kernel')])).toEqual([
      ['TopK', true],
      ['Identity', true],
      ['Resize', false],
    ]);
  });

  it('rejects models at an opset the table was not checked for', () => {
    const b = new GraphBuilder('opset');
    b.op('Relu', [b.input('x', 'float32', [2])], {}, { out: 'y' });
    b.output('y', 'float32');
    const model = decodeModel(b.toModel().model);
    model.opsetImport = [OnnxProto.OperatorSetIdProto.create({ domain: '', version: 21 })];
    expect(findNonWebGpuNodes(model).map((p) => p.node)).toEqual(['(model)']);
  });

  it('never lists GroupNormalization, TopK or CPU-only random ops', () => {
    const onnxOps = WEBGPU_OPS.get('') as ReadonlySet<string>;
    for (const op of ['GroupNormalization', 'TopK', 'RandomUniform', 'Multinomial', 'Attention']) {
      expect(onnxOps.has(op)).toBe(false);
    }
  });

  it('accepts 4-bit MatMulNBits and DequantizeLinear; rejects 8-bit MatMulNBits and blocks JSEP cannot run', () => {
    const b = new GraphBuilder('quantized');
    const x = b.input('x', 'float32', [1, 64]);
    const w = b.constant('uint8', [8, 2, 16], new Uint8Array(256));
    const scales = b.constant('float32', [16], new Float32Array(16));
    const q4 = b.op(
      'MatMulNBits',
      [x, w, scales],
      { K: 64, N: 8, bits: 4, block_size: 32 },
      { domain: 'com.microsoft' },
    );
    const q8 = b.op(
      'MatMulNBits',
      [x, b.constant('uint8', [8, 2, 32], new Uint8Array(512)), scales],
      {
        K: 64,
        N: 8,
        bits: 8,
        block_size: 32,
      },
      { domain: 'com.microsoft' },
    );
    const odd = b.op(
      'MatMulNBits',
      [x, b.constant('uint8', [8, 8, 4], new Uint8Array(256)), b.constant('float32', [64], new Float32Array(64))],
      {
        K: 64,
        N: 8,
        bits: 4,
        block_size: 8,
      },
      { domain: 'com.microsoft' },
    );
    const dq = b.op(
      'DequantizeLinear',
      [b.constant('int8', [64, 8], new Int8Array(512)), b.constant('float32', [8], new Float32Array(8))],
      {
        axis: 1,
      },
    );
    b.op('Sum', [q4, q8, odd, b.op('MatMul', [x, dq])], {}, { out: 'y' });
    b.output('y', 'float32');
    const problems = findNonWebGpuNodes(decodeModel(b.toModel().model));
    expect(problems.map((p) => [p.opType, p.reason.match(/bits=\d+, block_size=\d+/)?.[0] ?? p.reason])).toEqual([
      ['MatMulNBits', 'bits=8, block_size=32'],
      ['MatMulNBits', 'bits=4, block_size=8'],
      ['Sum', 'no kernel in both WebGPU EPs'],
    ]);
  });
});
