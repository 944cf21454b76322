// Test helper: a model pack built in memory from two checkpoints (no files, no hashes), for the loop's unit tests.

import { buildVarTransformer } from '../core/graphs/var-transformer';
import { buildQuantizerGraph } from '../core/graphs/vq-quantizer';
import { buildTokenizerGraph } from '../core/graphs/vq-tokenizer';
import { buildVqvaeDecoderGraph } from '../core/graphs/vqvae-decoder';
import { vqvaeEncoderGraph } from '../core/graphs/vqvae-encoder';
import { checkpointWeights } from '../core/graphs/weight-provider';
import { readVarConfig } from '../core/model/var-config';
import { readVqvaeConfig } from '../core/model/vqvae-config';
import { GraphBuilder } from '../core/onnx/graph-builder';
import type { PackManifest } from '../core/pack/manifest';
import { PACK_FORMAT, PACK_FORMAT_VERSION } from '../core/pack/manifest';
import type { PackSource } from '../core/pack/pack-source';
import type { Checkpoint } from '../core/pth/types';

/** `encoder: false` leaves out the edit graphs (a pack written before issue 16). */
export async function memoryPack(
  varCkpt: Checkpoint,
  vaeCkpt: Checkpoint,
  options: { readonly encoder?: boolean } = {},
): Promise<PackSource> {
  const varConfig = await readVarConfig(varCkpt);
  const vqvae = await readVqvaeConfig(vaeCkpt);
  const files = new Map<string, Uint8Array>();
  const t = new GraphBuilder('var_transformer');
  buildVarTransformer(t, varConfig, checkpointWeights(varCkpt));
  const transformer = (await t.materialize()).toModel({ externalData: { location: 'transformer.data' } });
  files.set('transformer.onnx', transformer.model);
  for (const [path, data] of transformer.externalData) files.set(path, data);
  const vaeWeights = checkpointWeights(vaeCkpt);
  files.set(
    'quantizer.onnx',
    (await buildQuantizerGraph(vaeWeights, { ...vqvae, patchNums: varConfig.patchNums })).model,
  );
  const decoder = await buildVqvaeDecoderGraph(vaeWeights, vqvae, { externalData: { location: 'decoder.data' } });
  files.set('decoder.onnx', decoder.model);
  for (const [path, data] of decoder.externalData) files.set(path, data);
  const withEncoder = options.encoder ?? true;
  if (withEncoder) {
    const encoder = (await vqvaeEncoderGraph(vaeWeights, vqvae).builder.materialize()).toModel({
      externalData: { location: 'encoder.data' },
    });
    files.set('encoder.onnx', encoder.model);
    for (const [path, data] of encoder.externalData) files.set(path, data);
    files.set(
      'tokenizer.onnx',
      (await buildTokenizerGraph(vaeWeights, { ...vqvae, patchNums: varConfig.patchNums })).model,
    );
  }
  const codebook = await vaeWeights.get('quantize.embedding.weight', [vqvae.vocabSize, vqvae.zChannels]);
  files.set('codebook.f32', new Uint8Array(codebook.buffer, codebook.byteOffset, codebook.byteLength));

  const graph = (model: string, externalData: string[]) => ({ model, externalData, weights: 'float32' as const });
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    formatVersion: PACK_FORMAT_VERSION,
    name: 'memory',
    label: 'In-memory test pack',
    synthetic: false,
    randomWeights: true,
    createdBy: 'tests',
    source: null,
    var: varConfig,
    vqvae,
    patchNums: varConfig.patchNums,
    numClasses: varConfig.numClasses,
    imageSize: (varConfig.patchNums.at(-1) as number) * 2 ** (vqvae.chMult.length - 1),
    codebook: { path: 'codebook.f32', dims: [vqvae.vocabSize, vqvae.zChannels] },
    graphs: {
      transformer: { ...graph('transformer.onnx', [...transformer.externalData.keys()]), attention: 'matmul' },
      quantizer: graph('quantizer.onnx', []),
      decoder: graph('decoder.onnx', [...decoder.externalData.keys()]),
      ...(withEncoder
        ? { encoder: graph('encoder.onnx', ['encoder.data']), tokenizer: graph('tokenizer.onnx', []) }
        : {}),
    },
    files: [...files].map(([path, data]) => ({ path, bytes: data.byteLength, sha256: '' })),
  };
  return {
    manifest,
    file: async (path) => {
      const data = files.get(path);
      if (!data) throw new Error(`memory pack has no ${path}`);
      return data;
    },
  };
}
