// Reads built models back: decode bytes, count ops, measure weight bytes (reports, tests, the WebGPU op check).

import type { onnx } from 'onnx-proto';
import { OnnxProto } from './onnx-proto';

export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return OnnxProto.ModelProto.decode(bytes);
}

/** Node count per op type ("com.microsoft:MultiHeadAttention" for non-default domains), most frequent first. */
export function opCounts(model: onnx.IModelProto): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of model.graph?.node ?? []) {
    const key = node.domain ? `${node.domain}:${node.opType}` : (node.opType ?? '');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Bytes of all initializers, inline and external (from the `length` entry of external ones). */
export function initializerBytes(model: onnx.IModelProto): { inline: number; external: number } {
  let inline = 0;
  let external = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation === 1) {
      external += Number(t.externalData?.find((e) => e.key === 'length')?.value ?? 0);
    } else {
      inline += t.rawData?.byteLength ?? 0;
    }
  }
  return { inline, external };
}
