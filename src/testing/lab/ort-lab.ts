// ORT lab: runs one ONNX model on WebGPU or WASM inside a worker and reports placement and timings.
// Used by the end-to-end parity tests (WebGPU vs WASM) and by the browser benchmarks.

import * as ort from 'onnxruntime-web';
import type { LabDataType, LabRunRequest, LabRunResult, LabTensor, OrtLab } from './lab-api';

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function toOrtTensor(t: LabTensor): ort.Tensor {
  const bytes = fromBase64(t.data);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const dims = [...t.dims];
  switch (t.type) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(buffer), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(buffer), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(buffer), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(buffer), dims);
  }
}

async function fromOrtTensor(t: ort.Tensor): Promise<LabTensor> {
  const data = (await t.getData()) as Float32Array | Int32Array | BigInt64Array | Uint8Array;
  const type = t.type as LabDataType;
  return { type, dims: [...t.dims], data: toBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
}

export class OrtLabImpl implements OrtLab {
  async run(request: LabRunRequest): Promise<LabRunResult> {
    ort.env.logLevel = 'verbose';
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [request.backend],
      logSeverityLevel: 0,
      externalData: (request.externalData ?? []).map((e) => ({ path: e.path, data: fromBase64(e.data) })),
    };
    const t0 = performance.now();
    // At verbose level ORT prints its node placement ("All nodes placed on [JsExecutionProvider]") to the console,
    // where the test harness reads it (Emscripten keeps its own reference to console, so it cannot be tapped here).
    const session = await ort.InferenceSession.create(fromBase64(request.model), options);
    const sessionMs = performance.now() - t0;
    ort.env.logLevel = 'warning';
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(request.feeds)) feeds[name] = toOrtTensor(t);
      const t1 = performance.now();
      let results = await session.run(feeds);
      const firstRunMs = performance.now() - t1;
      const timedRunMs: number[] = [];
      for (let i = 0; i < (request.timedRuns ?? 0); i++) {
        for (const r of Object.values(results)) r.dispose();
        const t = performance.now();
        results = await session.run(feeds);
        timedRunMs.push(performance.now() - t);
      }
      const outputs: Record<string, LabTensor> = {};
      for (const [name, t] of Object.entries(results)) outputs[name] = await fromOrtTensor(t);
      const adapter = request.backend === 'webgpu' ? (ort.env.webgpu.adapter as GPUAdapter | undefined) : undefined;
      return {
        outputs,
        webgpuAdapter: adapter ? `${adapter.info.vendor} ${adapter.info.architecture}`.trim() : null,
        sessionMs,
        firstRunMs,
        timedRunMs,
      };
    } finally {
      await session.release();
    }
  }
}
