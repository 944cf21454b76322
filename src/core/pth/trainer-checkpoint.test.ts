import { describe, expect, it } from 'vitest';
import { readFixtureBytes } from '../../testing/fixtures';
import { writePthToBytes } from '../../testing/writers/pth-writer';
import { trainerCheckpointFrom } from '../../testing/writers/trainer-checkpoint';
import { MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from './checkpoint';

describe('training checkpoints (VAR train.py layout)', () => {
  it('reads the transformer under trainer.var_wo_ddp, the same tensors as the plain state dict', async () => {
    const plainBytes = await readFixtureBytes('tiny_var.pth');
    const plain = await openCheckpoint(new MemoryByteSource(plainBytes, 'tiny_var.pth'));
    const trainer = await openCheckpoint(
      new MemoryByteSource(await trainerCheckpointFrom(plainBytes), 'ar-ckpt-last.pth'),
    );
    expect(trainer.stateDictPath).toBe('trainer.var_wo_ddp');
    expect(plain.stateDictPath).toBeUndefined();
    expect([...trainer.tensors.keys()]).toEqual([...plain.tensors.keys()]);
    for (const name of ['class_emb.weight', 'blocks.1.ffn.fc2.weight', 'lvl_1L']) {
      const a = await plain.tensors.get(name)?.readBytes();
      const b = await trainer.tensors.get(name)?.readBytes();
      expect(Buffer.from(b as Uint8Array).equals(Buffer.from(a as Uint8Array))).toBe(true);
    }
  });

  it('a nested dict that is not the trainer layout is E_NOT_CHECKPOINT naming what is read', async () => {
    const bytes = await writePthToBytes([{ name: 'w', dtype: 'float32', shape: [2], data: new Uint8Array(8) }], {
      trainer: {},
    });
    // Rename the path the reader looks for: 'var_wo_ddp' → 'var_wo_ddX' (same length, so the pickle stays valid).
    const text = Buffer.from(bytes);
    const at = text.indexOf('var_wo_ddp');
    expect(at).toBeGreaterThan(0);
    text.write('var_wo_ddX', at);
    const error = await openCheckpoint(new MemoryByteSource(new Uint8Array(text), 'other.pth')).catch((e) => e);
    expect(error).toMatchObject({ code: 'E_NOT_CHECKPOINT', message: expect.stringContaining('trainer.var_wo_ddp') });
  });
});
