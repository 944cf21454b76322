import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../shared/errors';
import type { BuiltModel, ExternalDataOptions } from './graph-builder';
import { GraphBuilder, ONNX_OPSET } from './graph-builder';
import { decodeModel, initializerBytes, opCounts } from './model-info';

ort.env.wasm.numThreads = 1;

/** y = relu(x @ W + b) * scale, with W large enough to go external. */
function buildDense(options: { externalData?: ExternalDataOptions } = {}): BuiltModel {
  const b = new GraphBuilder('dense');
  const x = b.input('x', 'float32', ['B', 64]);
  const w = b.initializer(
    'dense.weight',
    'float32',
    [64, 32],
    Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i)),
  );
  const w2 = b.initializer(
    'dense2.weight',
    'float32',
    [32, 16],
    Float32Array.from({ length: 32 * 16 }, (_, i) => Math.cos(i)),
  );
  const bias = b.initializer(
    'dense.bias',
    'float32',
    [32],
    Float32Array.from({ length: 32 }, (_, i) => i / 32 - 0.5),
  );
  const h = b.scope('dense', () => b.op('Relu', [b.op('Add', [b.op('MatMul', [x, w]), bias])]));
  const y = b.op('MatMul', [h, w2]);
  b.op('Mul', [y, b.scalar(0.5)], {}, { out: 'y' });
  b.output('y', 'float32', ['B', 16]);
  return b.toModel(options);
}

async function run(built: BuiltModel, x: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(built.model, {
    executionProviders: ['wasm'],
    externalData: [...built.externalData].map(([path, data]) => ({ path, data })),
  });
  const out = await session.run({ x: new ort.Tensor('float32', x, [x.length / 64, 64]) });
  await session.release();
  return out.y?.data as Float32Array;
}

describe('GraphBuilder', () => {
  const x = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 0.37));

  it('builds a model ORT runs, with opset 17 + com.microsoft, symbolic dims and scoped names', async () => {
    const built = buildDense();
    expect(built.externalData.size).toBe(0);
    const model = decodeModel(built.model);
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', ONNX_OPSET],
      ['com.microsoft', 1],
    ]);
    expect(model.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('B');
    expect(model.graph?.node?.map((n) => n.name)).toContain('dense/MatMul_0');
    expect(Object.fromEntries(opCounts(model))).toEqual({ MatMul: 2, Add: 1, Relu: 1, Mul: 1 });

    const y = await run(built, x);
    // Reference in float64.
    for (let row = 0; row < 3; row++) {
      for (let o = 0; o < 16; o++) {
        let acc = 0;
        for (let j = 0; j < 32; j++) {
          let hj = j / 32 - 0.5;
          for (let i = 0; i < 64; i++) hj += (x[row * 64 + i] as number) * Math.fround(Math.sin(i * 32 + j));
          acc += Math.max(hj, 0) * Math.fround(Math.cos(j * 16 + o));
        }
        expect(Math.abs((y[row * 16 + o] as number) - acc * 0.5)).toBeLessThan(1e-4);
      }
    }
  });

  it('round-trips external data through ORT: same result as inline, aligned offsets, split files', async () => {
    const inline = await run(buildDense(), x);

    const external = buildDense({ externalData: { location: 'dense.data', thresholdBytes: 1024 } });
    const model = decodeModel(external.model);
    // dense.weight (8 KiB) and dense2.weight (2 KiB) go out; the 128-byte bias and the scalar stay inline.
    expect([...external.externalData.keys()]).toEqual(['dense.data']);
    expect(initializerBytes(model)).toEqual({ inline: 128 + 4, external: 8192 + 2048 });
    const entries = (model.graph?.initializer ?? [])
      .filter((t) => t.dataLocation === 1)
      .map((t) => Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value])));
    expect(entries).toEqual([
      { location: 'dense.data', offset: '0', length: '8192' },
      { location: 'dense.data', offset: '8192', length: '2048' },
    ]);
    expect(await run(external, x)).toEqual(inline);

    // A 4 KiB file limit forces one file per tensor; odd alignment exercises padding.
    const split = buildDense({
      externalData: { location: 'w.bin', thresholdBytes: 100, maxFileBytes: 4096, alignment: 48 },
    });
    expect([...split.externalData].map(([k, v]) => [k, v.byteLength])).toEqual([
      ['w.bin', 8192],
      ['w.bin.1', 2064 + 128], // 2048 rounded up to a multiple of 48, then the bias
    ]);
    const offsets = (decodeModel(split.model).graph?.initializer ?? [])
      .filter((t) => t.dataLocation === 1)
      .map((t) => t.externalData?.find((e) => e.key === 'offset')?.value);
    expect(offsets).toEqual(['0', '0', '2064']);
    expect(await run(split, x)).toEqual(inline);
  });

  it('rejects undefined inputs, duplicate names, float ints and missing outputs', () => {
    const fails = (fn: () => unknown) => {
      try {
        fn();
        return false;
      } catch (error) {
        return hasErrorCode(error, 'E_GRAPH_INVALID');
      }
    };
    const b = new GraphBuilder('bad');
    const x = b.input('x', 'float32', [2]);
    expect(fails(() => b.op('Relu', ['nope']))).toBe(true);
    expect(fails(() => b.input('x', 'float32', [2]))).toBe(true);
    expect(fails(() => b.op('LeakyRelu', [x], { alpha: 0.1 }))).toBe(true);
    expect(fails(() => b.initializer('w', 'float32', [2, 2], new Float32Array(3)))).toBe(true);
    b.op('LeakyRelu', [x], { alpha: { float: 0.1 } });
    b.output('y', 'float32');
    expect(fails(() => b.toModel())).toBe(true);
  });

  it('keeps lazy weights unread until written, and checks their size then', async () => {
    let reads = 0;
    const b = new GraphBuilder('lazy');
    const x = b.input('x', 'float32', [1, 4]);
    const w = b.lazyInitializer('w', 'float32', [4, 300], async () => {
      reads++;
      return Float32Array.from({ length: 1200 }, (_, i) => i);
    });
    const bad = b.lazyInitializer('bad', 'float32', [2], async () => new Float32Array(3));
    b.op('Add', [b.op('MatMul', [x, w]), b.op('ReduceSum', [bad], { keepdims: 0 })], {}, { out: 'y' });
    b.output('y', 'float32');
    expect(() => b.toModel()).toThrow(/lazy/);
    expect(reads).toBe(0);
    // Small lazy tensors (< threshold) are loaded at once to be inlined: 'bad' is 8 bytes and fails its size check.
    await expect(b.toStreamingModel({ externalData: { location: 'w.data' } })).rejects.toThrow(
      /3 elements for dims \[2\]/,
    );
  });
});
