// CRC-32: standard check value and agreement with a bitwise reference.

import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32';

function naiveCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Uint8Array.from('123456789', (c) => c.charCodeAt(0)))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with a bitwise implementation for every length 0..40 and when continued', () => {
    const data = Uint8Array.from({ length: 40 }, (_, i) => (i * 73 + 11) & 0xff);
    for (let n = 0; n <= 40; n++) expect(crc32(data.subarray(0, n))).toBe(naiveCrc32(data.subarray(0, n)));
    expect(crc32(data.subarray(13), crc32(data.subarray(0, 13)))).toBe(naiveCrc32(data));
  });
});
