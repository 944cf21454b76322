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
});
