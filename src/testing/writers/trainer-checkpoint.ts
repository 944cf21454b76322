// Rewrites a state-dict checkpoint in the official trainer's layout (weights under trainer.var_wo_ddp, beside the
// optimizer's state), for tests of training checkpoints.

import { MemoryByteSource } from '../../core/io/byte-source';
import { openCheckpoint } from '../../core/pth/checkpoint';
import { type PthTensorEntry, writePthToBytes } from './pth-writer';

export async function trainerCheckpointFrom(stateDict: Uint8Array, name = 'ar-ckpt-last.pth'): Promise<Uint8Array> {
  const checkpoint = await openCheckpoint(new MemoryByteSource(stateDict, name));
  const entries: PthTensorEntry[] = [];
  for (const [tensorName, ref] of checkpoint.tensors) {
    entries.push({ name: tensorName, dtype: ref.dtype, shape: ref.shape, data: await ref.readBytes() });
  }
  // AdamW's moments of the first two parameters: tensors the reader must leave alone.
  const optimizerTensors = entries.slice(0, 2).map((e, i) => ({ ...e, name: i === 0 ? 'exp_avg' : 'exp_avg_sq' }));
  return writePthToBytes(entries, { root: 'ar-ckpt-last', flavour: 'torch-2', trainer: { optimizerTensors } });
}
