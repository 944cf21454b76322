// packRequirementsMet: fp16 packs need shader-f16 on WebGPU; unknown requirements are refused, never guessed.

import { describe, expect, it } from 'vitest';
import { planPack } from './build-pack';
import { packRequirementsMet, unmetPackRequirements } from './requirements';

describe('packRequirementsMet', () => {
  it('runs float32, q8 and q4 packs on any adapter; fp16 packs only with shader-f16', async () => {
    for (const quant of ['none', 'q8', 'q4'] as const) {
      const { manifest } = await planPack({ kind: 'synthetic', architecture: 'micro' }, { quant });
      expect(packRequirementsMet(manifest, { shaderF16: false })).toBe(true);
    }
    const { manifest: fp16 } = await planPack({ kind: 'synthetic', architecture: 'micro' }, { quant: 'fp16' });
    expect(packRequirementsMet(fp16, { shaderF16: false })).toBe(false);
    expect(unmetPackRequirements(fp16, { shaderF16: false })).toEqual(['shader-f16']);
    expect(packRequirementsMet(fp16, { shaderF16: true })).toBe(true);
  });

  it('treats a manifest without `requires` (packs from before quantization) as needing nothing', () => {
    expect(packRequirementsMet({}, { shaderF16: false })).toBe(true);
  });

  it('counts a requirement it does not know as unmet, by name', () => {
    const manifest = { requires: ['shader-f16', 'subgroups', 'toString'] };
    expect(unmetPackRequirements(manifest, { shaderF16: true })).toEqual(['subgroups', 'toString']);
    expect(packRequirementsMet(manifest, { shaderF16: true })).toBe(false);
  });
});
