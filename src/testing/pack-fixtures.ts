// Test helpers for model packs: temp folders, a VAR checkpoint of any config, ORT sessions over a pack's graphs.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { expectedVarKeys, type VarConfig } from '../core/model/var-config';
import type { PackGraph } from '../core/pack/manifest';
import type { PackSource } from '../core/pack/pack-source';
import { type PthTensorEntry, writePthToBytes } from './writers/pth-writer';

/** A fresh temp folder; `cleanup` removes it. */
export async function tempDir(label: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `var-web-${label}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Entries of `dir` (to assert that no `.partial-*` or `.old-*` folder was left behind). */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/**
 * A complete VAR state dict for `config` (every key the official model saves, zeros except lvl_1L), as .pth bytes:
 * a well-formed checkpoint that does not fit the tiny VQ-VAE when its vocab or Cvae differ.
 */
export function varCheckpointBytes(config: VarConfig): Promise<Uint8Array> {
  const entries: PthTensorEntry[] = [];
  for (const [name, t] of expectedVarKeys(config)) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (name === 'lvl_1L') {
      const levels = config.patchNums.flatMap((pn, si) => Array<bigint>(pn * pn).fill(BigInt(si)));
      entries.push({ name, dtype: 'int64', shape: t.shape, data: new Uint8Array(BigInt64Array.from(levels).buffer) });
    } else {
      entries.push({ name, dtype: 'float32', shape: t.shape, data: new Uint8Array(numel * 4) });
    }
  }
  return writePthToBytes(entries);
}

/** A WASM session (one thread) over one graph of a pack, its external data read through the PackSource. */
export async function packSession(pack: PackSource, graph: PackGraph): Promise<ort.InferenceSession> {
  ort.env.wasm.numThreads = 1;
  const externalData = await Promise.all(
    graph.externalData.map(async (path) => ({ path, data: await pack.file(path) })),
  );
  return ort.InferenceSession.create(await pack.file(graph.model), { executionProviders: ['wasm'], externalData });
}
