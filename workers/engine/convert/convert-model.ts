// The engine's convertModel: a ConvertRequest (URLs, local files, or two unlabelled files) → checkpoint inputs →
// a pack in the store (convert-to-store.ts).

import { detectCheckpointKind } from '../../../src/core/model/checkpoint-kind';
import { openCheckpoint } from '../../../src/core/pth/checkpoint';
import type { ConvertProgress, ConvertRequest } from '../../../src/shared/engine-api';
import { VarError } from '../../../src/shared/errors';
import type { StoreContext } from '../store/download-file';
import { type CheckpointInput, type InputOptions, openCheckpointInput } from './checkpoint-inputs';
import { type ConvertedPack, convertToStore } from './convert-to-store';

/** The browser ships 4-bit packs (README, Quantized packs). */
export const DEFAULT_CONVERT_QUANT = 'q4';

export interface ConvertModelOptions extends InputOptions {
  readonly createdBy?: string;
  readonly onProgress?: (progress: ConvertProgress) => void;
}

export async function convertModel(
  ctx: StoreContext,
  request: ConvertRequest,
  options: ConvertModelOptions = {},
): Promise<ConvertedPack> {
  const inputs = await resolveInputs(request, options);
  return convertToStore(ctx, inputs, {
    quant: request.quant ?? DEFAULT_CONVERT_QUANT,
    createdBy: options.createdBy ?? 'var-web (in-browser convert)',
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

async function resolveInputs(
  request: ConvertRequest,
  options: InputOptions,
): Promise<{ var: CheckpointInput; vae: CheckpointInput }> {
  if (request.files !== undefined) {
    if (request.var !== undefined || request.vae !== undefined) {
      throw new VarError(
        'E_BAD_SETTINGS',
        'Give either two checkpoint files or a VAR and a VQ-VAE checkpoint, not both',
      );
    }
    if (request.files.length !== 2) {
      throw new VarError(
        'E_BAD_SETTINGS',
        `Choose two checkpoint files, a VAR one (var_d16.pth …) and the VQ-VAE (vae_ch160v4096z32.pth); got ${request.files.length}`,
        { files: request.files.length },
      );
    }
    const [a, b] = await Promise.all(request.files.map((file) => openCheckpointInput({ file }, options)));
    const first = a as CheckpointInput;
    const second = b as CheckpointInput;
    // Told apart by their keys; two of a kind go through unchanged and fail the pair check with its own code.
    const firstKind = detectCheckpointKind((await openCheckpoint(first.source)).tensors.keys(), first.source.name);
    return firstKind === 'vqvae' ? { var: second, vae: first } : { var: first, vae: second };
  }
  if (request.var === undefined || request.vae === undefined) {
    throw new VarError('E_BAD_SETTINGS', 'Give both checkpoints: the VAR transformer and the VQ-VAE');
  }
  const [varInput, vaeInput] = await Promise.all([
    openCheckpointInput(request.var, options),
    openCheckpointInput(request.vae, options),
  ]);
  return { var: varInput as CheckpointInput, vae: vaeInput as CheckpointInput };
}
