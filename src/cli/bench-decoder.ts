// Benchmarks the VQVAE decoder graph on ORT-web WASM in Node: size, op list, session creation, decode time per latent size.
//
//   npx tsx src/cli/bench-decoder.ts [--vae fixtures/tiny_vae.pth] [--runs 5] [--sizes 1,2,4,8,13,16] [--threads 1]
//   npx tsx src/cli/bench-decoder.ts --synthetic-ch160 [--runs 3]   (vae_ch160v4096z32 architecture, random weights)

import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { buildVqvaeDecoderGraph, type VqvaeDecoderConfig } from '../core/graphs/vqvae-decoder';
import { checkpointWeights, randomWeights, type WeightProvider } from '../core/graphs/weight-provider';
import { readVqvaeConfig } from '../core/model/vqvae-config';
import { GraphBuilder } from '../core/onnx/graph-builder';
import { decodeModel, initializerBytes, opCounts } from '../core/onnx/model-info';
import { assertWebGpuOps } from '../core/onnx/webgpu-ops';
import { openCheckpoint } from '../core/pth/checkpoint';
import { FileByteSource } from '../node/file-byte-source';

/** The released VQVAE (var.md §2.1): ch 160, ch_mult (1,1,2,2,4), 2 (+1) res blocks, Cvae 32. */
const CH160: VqvaeDecoderConfig = { ch: 160, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, zChannels: 32 };

const { values } = parseArgs({
  options: {
    vae: { type: 'string', default: 'fixtures/tiny_vae.pth' },
    'synthetic-ch160': { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '1,2,4,8,13,16' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1' },
  },
});
const runs = Number(values.runs);
const sizes = values.sizes.split(',').map(Number);
const batch = Number(values.batch);
const ms = (t: number): string => `${t.toFixed(0)} ms`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

async function source(): Promise<{
  label: string;
  config: VqvaeDecoderConfig;
  weights: WeightProvider;
  close(): Promise<void>;
}> {
  if (values['synthetic-ch160']) {
    return {
      label: 'synthetic vae_ch160v4096z32 (random weights)',
      config: CH160,
      weights: randomWeights(160),
      close: async () => {},
    };
  }
  const file = await FileByteSource.open(values.vae);
  const checkpoint = await openCheckpoint(file);
  const config = await readVqvaeConfig(checkpoint);
  return { label: values.vae, config, weights: checkpointWeights(checkpoint), close: () => file.close() };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

const src = await source();
let t0 = performance.now();
const built = await buildVqvaeDecoderGraph(src.weights, src.config, {
  externalData: { location: 'vqvae-decoder.data' },
});
const buildTime = performance.now() - t0;
await src.close();
const model = decodeModel(built.model);
assertWebGpuOps(model);
const weightBytes = initializerBytes(model);
const externalBytes = [...built.externalData.values()].reduce((a, d) => a + d.byteLength, 0);

console.log(`decoder: ${src.label}`);
console.log(
  `  config: ch ${src.config.ch}, ch_mult [${src.config.chMult.join(', ')}], ${src.config.numResBlocks}+1 res blocks per level, z ${src.config.zChannels}`,
);
console.log(
  `  graph: ${model.graph?.node?.length} nodes, ${model.graph?.initializer?.length} initializers; built in ${ms(buildTime)}`,
);
console.log(
  `  size: model.onnx ${mb(built.model.byteLength)} + external data ${mb(externalBytes)} = ${mb(built.model.byteLength + externalBytes)} (weights: ${mb(weightBytes.inline)} inline, ${mb(weightBytes.external)} external)`,
);
console.log(`  ops: ${[...opCounts(model)].map(([op, n]) => `${op} ${n}`).join(', ')}`);

ort.env.wasm.numThreads = Number(values.threads);
// Load and compile the WASM runtime on a trivial model first, so the creation time below is the decoder's own.
t0 = performance.now();
const probe = new GraphBuilder('probe');
probe.op('Relu', [probe.input('x', 'float32', [1])], {}, { out: 'y' });
probe.output('y', 'float32');
await (await ort.InferenceSession.create(probe.toModel().model, { executionProviders: ['wasm'] })).release();
console.log(`ORT ${ort.env.versions.web} WASM runtime init: ${ms(performance.now() - t0)}`);
t0 = performance.now();
const session = await ort.InferenceSession.create(built.model, {
  executionProviders: ['wasm'],
  externalData: [...built.externalData].map(([path, data]) => ({ path, data })),
});
console.log(`WASM, ${ort.env.wasm.numThreads} thread(s): decoder session creation ${ms(performance.now() - t0)}`);

const levels = src.config.chMult.length;
for (const size of sizes) {
  const fHat = new Float32Array(batch * src.config.zChannels * size * size).map((_, i) => Math.sin(i * 0.731) * 0.5);
  const feeds = { f_hat: new ort.Tensor('float32', fHat, [batch, src.config.zChannels, size, size]) };
  const times: number[] = [];
  // One warm-up run (first-run allocations and kernel selection), then the timed runs.
  for (let r = -1; r < runs; r++) {
    const t = performance.now();
    const out = await session.run(feeds);
    if (r >= 0) times.push(performance.now() - t);
    const image = out.image as ort.Tensor;
    if (r === -1 && image.dims[2] !== size * 2 ** (levels - 1)) throw new Error(`unexpected output dims ${image.dims}`);
  }
  const side = size * 2 ** (levels - 1);
  console.log(
    `  latent ${size}×${size} (B=${batch}) → ${side}×${side}: median ${ms(median(times))}, min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))} (${runs} runs)`,
  );
}
await session.release();
