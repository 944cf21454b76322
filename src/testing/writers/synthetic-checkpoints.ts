// Official-format checkpoints of a released architecture with random weights (VAR-d16 + vae_ch160v4096z32 at full
// size), streamed to disk: what the in-browser conversion is measured on without downloading the real ones.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { randomWeights } from '../../core/graphs/weight-provider';
import { expectedVarKeys } from '../../core/model/var-config';
import { expectedVqvaeKeys } from '../../core/model/vqvae-config';
import type { SyntheticArchitecture } from '../../core/pack/manifest';
import { syntheticModel } from '../../core/pack/synthetic';
import { type PthTensorEntry, writePth } from './pth-writer';

/** Writes `<dir>/var_<arch>.pth` and `<dir>/vae_ch160v4096z32.pth`; returns their paths. */
export async function writeSyntheticCheckpoints(
  architecture: SyntheticArchitecture,
  dir: string,
  seed = 1,
): Promise<{ var: string; vae: string }> {
  const model = syntheticModel(architecture);
  const weights = randomWeights(seed);
  const entries = (keys: Map<string, { shape: readonly number[]; kind: 'float' | 'int' }>): PthTensorEntry[] =>
    [...keys].map(([name, t]) => {
      if (name === 'lvl_1L') {
        const levels = model.var.patchNums.flatMap((pn, si) => new Array<bigint>(pn * pn).fill(BigInt(si)));
        return { name, dtype: 'int64', shape: t.shape, data: new Uint8Array(BigInt64Array.from(levels).buffer) };
      }
      return {
        name,
        dtype: 'float32',
        shape: t.shape,
        data: async () => {
          const values = await weights.get(name, t.shape);
          return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        },
      };
    });
  const paths = { var: `${dir}/var_${architecture}.pth`, vae: `${dir}/vae_ch160v4096z32.pth` };
  await writeFile(paths.var, writePth(entries(expectedVarKeys(model.var)), { root: `var_${architecture}` }));
  await writeFile(paths.vae, writePth(entries(expectedVqvaeKeys(model.vqvae)), { root: 'vae_ch160v4096z32' }));
  return paths;
}

async function writeFile(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const out = createWriteStream(path);
  for await (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}
