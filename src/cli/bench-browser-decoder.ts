// `npx tsx src/cli/bench-browser-decoder.ts [--vae fixtures/tiny_vae.pth] [--sizes 1,2,4,8,16] [--backend webgpu,wasm]`:
// one decode's time per latent size inside Chromium (ORT lab page), WebGPU and WASM. Needs `npm run build:e2e` first.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { buildVqvaeDecoderGraph } from '../core/graphs/vqvae-decoder';
import { checkpointWeights } from '../core/graphs/weight-provider';
import { MemoryByteSource } from '../core/io/byte-source';
import { readVqvaeConfig } from '../core/model/vqvae-config';
import { decodeModel, opCounts } from '../core/onnx/model-info';
import { openCheckpoint } from '../core/pth/checkpoint';
import { withLabPage } from '../testing/lab/lab-server';

const PORT = 4178;
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    vae: { type: 'string', default: 'fixtures/tiny_vae.pth' },
    sizes: { type: 'string', default: '1,2,4,8,16' },
    backend: { type: 'string', default: 'webgpu,wasm' },
  },
});
const ckpt = await openCheckpoint(
  new MemoryByteSource(new Uint8Array(await readFile(values.vae as string)), values.vae as string),
);
const decoder = await buildVqvaeDecoderGraph(checkpointWeights(ckpt), await readVqvaeConfig(ckpt), {
  externalData: { location: 'decoder.data' },
});
const mb =
  (decoder.model.byteLength + [...decoder.externalData.values()].reduce((n, d) => n + d.byteLength, 0)) / 2 ** 20;
console.log(
  `decoder: ${mb.toFixed(2)} MB; ops ${JSON.stringify(Object.fromEntries(opCounts(decodeModel(decoder.model))))}`,
);

await withLabPage(PORT, async (page) => {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  for (const backend of (values.backend as string).split(',')) {
    for (const size of (values.sizes as string).split(',').map(Number)) {
      const request = {
        model: b64(decoder.model),
        externalData: [...decoder.externalData].map(([path, data]) => ({ path, data: b64(data) })),
        feeds: {
          f_hat: {
            type: 'float32',
            dims: [1, 32, size, size],
            data: b64(new Uint8Array(new Float32Array(32 * size * size).fill(0.1).buffer)),
          },
        },
        backend,
        timedRuns: 1,
      };
      // A source string: tsx's keepNames helper (__name) does not exist inside the page.
      const r = (await page.evaluate(`window.ortLab.run(${JSON.stringify(request)})`)) as {
        firstRunMs: number;
        timedRunMs: number[];
        sessionMs: number;
      };
      console.log(
        `${backend} ${size}×${size} → ${size * 16}×${size * 16}: session ${r.sessionMs.toFixed(0)} ms, first ${r.firstRunMs.toFixed(0)} ms, decode ${r.timedRunMs[0]?.toFixed(0)} ms`,
      );
    }
  }
});
