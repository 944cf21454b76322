// Storage panel lines: used of quota, whether storage is persistent, and a cached model's size (or how much of it).
import { describe, expect, it } from 'vitest';
import { persistedLabel, storedSizeLabel, usageLabel } from './storage-panel';

describe('storage panel', () => {
  it('says what the site uses of its quota', () => {
    expect(usageLabel({ usedBytes: 9_412_000, quotaBytes: 296_400_000_000 })).toBe(
      '9.4 MB of 296 GB used by this site (<\u00a01\u00a0%)',
    );
    expect(usageLabel({ usedBytes: 1_500_000_000, quotaBytes: 2_000_000_000 })).toBe(
      '1.5 GB of 2.0 GB used by this site (75\u00a0%)',
    );
    expect(usageLabel({ usedBytes: 0, quotaBytes: 2_000_000_000 })).toBe(
      '0.0 MB of 2.0 GB used by this site (0\u00a0%)',
    );
    expect(usageLabel({ usedBytes: 9_412_000, quotaBytes: undefined })).toBe('9.4 MB used by this site');
    expect(usageLabel({ usedBytes: undefined, quotaBytes: undefined })).toMatch(/does not say/);
  });

  it('says whether the browser keeps the models', () => {
    expect(persistedLabel(true)).toMatch(/^Persistent storage: granted/);
    expect(persistedLabel(false)).toMatch(/^Persistent storage: not granted/);
  });

  it('sizes complete and partial models', () => {
    const m = { id: 'tiny', label: 'Tiny' };
    expect(
      storedSizeLabel({ ...m, download: { state: 'downloaded', storedBytes: 9_327_000, totalBytes: 9_327_000 } }),
    ).toBe('9.3 MB');
    expect(
      storedSizeLabel({ ...m, download: { state: 'partial', storedBytes: 3_730_000, totalBytes: 9_327_000 } }),
    ).toBe('3.7 / 9.3 MB (39 %), partly downloaded');
  });
});
