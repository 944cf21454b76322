// `npm run bench:reader -- [--gb 3] [--keep]`: streams a multi-GB synthetic checkpoint to disk, reads it back, and
// shows that throughput is disk-bound and memory stays bounded by the largest tensor (ZIP64 past 4 GiB at --gb ≥ 4.5).

import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openCheckpoint } from '../core/pth/checkpoint';
import { readZipDirectory } from '../core/pth/zip';
import { FileByteSource } from '../node/file-byte-source';
import { type PthTensorEntry, writePth } from '../testing/writers/pth-writer';

const { values } = parseArgs({
  options: {
    gb: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    dir: { type: 'string', default: tmpdir() },
  },
});
const targetBytes = Number(values.gb) * 1e9;
if (!(targetBytes > 0)) throw new Error(`--gb must be a positive number, got ${values.gb}`);

/** VAR-d30 block shapes (C = 1920, var.md §3.1): the largest tensor is ada_lin.1.weight, 6C×C fp32 = 88.5 MB. */
const C = 1920;
const BLOCK: [string, number[]][] = [
  ['attn.mat_qkv.weight', [3 * C, C]],
  ['attn.proj.weight', [C, C]],
  ['attn.proj.bias', [C]],
  ['ffn.fc1.weight', [4 * C, C]],
  ['ffn.fc1.bias', [4 * C]],
  ['ffn.fc2.weight', [C, 4 * C]],
  ['ffn.fc2.bias', [C]],
  ['ada_lin.1.weight', [6 * C, C]],
  ['ada_lin.1.bias', [6 * C]],
];
const BLOCK_BYTES = BLOCK.reduce((a, [, s]) => a + 4 * s.reduce((x, y) => x * y, 1), 0);

/** Deterministic content: element i of tensor k is (i + 7919·k) mod 65536, exact in float32 and cheap to check. */
function expectedValue(k: number, i: number): number {
  return (i + 7919 * k) % 65536;
}

function fill(k: number, numel: number): Uint8Array {
  const values = new Float32Array(numel);
  for (let i = 0; i < numel; i++) values[i] = expectedValue(k, i);
  return new Uint8Array(values.buffer);
}

const entries: PthTensorEntry[] = [];
const blocks = Math.max(1, Math.ceil(targetBytes / BLOCK_BYTES));
for (let b = 0; b < blocks; b++) {
  for (const [name, shape] of BLOCK) {
    const k = entries.length;
    const numel = shape.reduce((x, y) => x * y, 1);
    entries.push({ name: `blocks.${b}.${name}`, dtype: 'float32', shape, data: () => fill(k, numel) });
  }
}
const largest = Math.max(...entries.map((e) => 4 * e.shape.reduce((x, y) => x * y, 1)));
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
const peakRssMb = (): string => mb(process.resourceUsage().maxRSS * 1024);

const path = join(values.dir, `var-web-bench-${process.pid}.pth`);
try {
  let t0 = performance.now();
  const handle = await open(path, 'w');
  let written = 0;
  try {
    for await (const chunk of writePth(entries, { root: 'bench', flavour: 'torch-2' })) {
      await handle.write(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  const writeSeconds = (performance.now() - t0) / 1000;
  console.log(`wrote ${path}: ${entries.length} tensors, ${mb(written)} MB in ${writeSeconds.toFixed(1)} s`);
  console.log(`  write ${mb(written / writeSeconds)} MB/s (incl. CRC-32), peak RSS so far ${peakRssMb()} MB`);

  t0 = performance.now();
  const source = await FileByteSource.open(path);
  let read = 0;
  try {
    const dir = await readZipDirectory(source);
    const past4GiB = dir.entries.filter((e) => e.localHeaderOffset >= 2 ** 32).length;
    const ckpt = await openCheckpoint(source);
    const openMs = performance.now() - t0;
    let k = 0;
    for (const tensor of ckpt.tensors.values()) {
      const values = await tensor.readFloat32();
      for (const i of [0, values.length >> 1, values.length - 1]) {
        if (values[i] !== expectedValue(k, i))
          throw new Error(`${tensor.name}[${i}] = ${values[i]}, expected ${expectedValue(k, i)}`);
      }
      read += values.byteLength;
      k++;
    }
    const readSeconds = (performance.now() - t0) / 1000;
    console.log(
      `read back ${ckpt.tensors.size} tensors (${mb(read)} MB) in ${readSeconds.toFixed(1)} s; open ${openMs.toFixed(0)} ms`,
    );
    console.log(`  ZIP64 records: ${dir.zip64}, entries with offsets past 4 GiB: ${past4GiB}`);
    console.log(`  read ${mb(read / readSeconds)} MB/s`);
  } finally {
    await source.close();
  }
  console.log(`file ${mb(written)} MB; largest tensor ${mb(largest)} MB; peak RSS ${peakRssMb()} MB (whole process)`);
} finally {
  if (values.keep) console.log(`kept ${path}`);
  else await rm(path, { force: true });
}
