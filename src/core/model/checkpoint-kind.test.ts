// Checkpoint kind detection and the message for swapped VAR / VQ-VAE files.

import { describe, expect, it } from 'vitest';
import { errorOf, openFixture, readKeysTsv } from '../../testing/fixtures';
import { detectCheckpointKind, expectKind } from './checkpoint-kind';

describe('checkpoint kind', () => {
  it('detects the fixtures and the real key lists', async () => {
    expect(detectCheckpointKind((await openFixture('tiny_var.pth')).tensors.keys())).toBe('var');
    expect(detectCheckpointKind((await openFixture('tiny_vae.pth')).tensors.keys())).toBe('vqvae');
    for (const [file, kind] of [
      ['var_d16.tsv', 'var'],
      ['var_d20.tsv', 'var'],
      ['vae_ch160v4096z32.tsv', 'vqvae'],
    ] as const) {
      expect(detectCheckpointKind((await readKeysTsv(file)).map((i) => i.name))).toBe(kind);
    }
  });

  it('reports unknown and mixed key sets as E_UNKNOWN_CHECKPOINT_KIND', () => {
    const unknown = errorOf(() => detectCheckpointKind(['model.layer1.weight', 'fc.bias'], 'resnet.pth'));
    expect(unknown.code).toBe('E_UNKNOWN_CHECKPOINT_KIND');
    expect(unknown.message).toContain('resnet.pth');
    expect(unknown.message).toContain('model.layer1.weight');
    expect(errorOf(() => detectCheckpointKind(['pos_1LC', 'decoder.conv_in.weight'])).code).toBe(
      'E_UNKNOWN_CHECKPOINT_KIND',
    );
    expect(errorOf(() => detectCheckpointKind([])).code).toBe('E_UNKNOWN_CHECKPOINT_KIND');
  });

  it('explains a VQ-VAE file given where the VAR transformer is expected', async () => {
    const vae = await openFixture('tiny_vae.pth');
    const error = errorOf(() => expectKind(vae, 'var'));
    expect(error.code).toBe('E_WRONG_CHECKPOINT_KIND');
    expect(error.message).toBe(
      'this is a VQ-VAE checkpoint (tiny_vae.pth), expected a VAR transformer checkpoint such as var_d16.pth',
    );
    expect(expectKind(vae, 'vqvae')).toBe('vqvae');
  });

  it('explains a VAR transformer file given where the VQ-VAE is expected', async () => {
    const varCkpt = await openFixture('tiny_var.pth');
    const error = errorOf(() => expectKind(varCkpt, 'vqvae'));
    expect(error.code).toBe('E_WRONG_CHECKPOINT_KIND');
    expect(error.message).toBe(
      'this is a VAR transformer checkpoint (tiny_var.pth), expected a VQ-VAE checkpoint such as vae_ch160v4096z32.pth',
    );
  });
});
