// Bad input: truncated, non-ZIP, legacy, non-checkpoint and malicious files, each with its error code and message.

import { describe, expect, it } from 'vitest';
import { pathExists, readFixtureBytes, readRepoText, tempMarkerPath } from '../../testing/fixtures';
import { type PthTensorEntry, writePthToBytes } from '../../testing/writers/pth-writer';
import { collectChunks, writeStoredZip } from '../../testing/writers/zip-writer';
import { MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from './checkpoint';
import { OP } from './pickle-opcodes';
import { encodeUtf8 } from './utf8';

async function openError(bytes: Uint8Array, name: string): Promise<{ code: string; message: string }> {
  try {
    await openCheckpoint(new MemoryByteSource(bytes, name));
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error(`${name} opened without an error`);
}

/** A checkpoint-shaped ZIP whose data.pkl is the given pickle. */
function zipWithPickle(pickle: Uint8Array): Promise<Uint8Array> {
  return collectChunks(writeStoredZip([{ name: 'archive/data.pkl', data: pickle }]));
}

function pk(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') out.push(...encodeUtf8(p));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}
const binunicode = (s: string): Uint8Array => {
  const b = encodeUtf8(s);
  return pk(OP.BINUNICODE, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, b);
};

/** Patches the central-directory header of `name` (the last occurrence of the name is in the directory). */
function patchCentralEntry(bytes: Uint8Array, name: string, patch: (dv: DataView, header: number) => void): Uint8Array {
  const out = bytes.slice();
  const needle = encodeUtf8(name);
  for (let i = out.length - needle.length; i >= 0; i--) {
    if (needle.every((b, j) => out[i + j] === b) && new DataView(out.buffer).getUint32(i - 46, true) === 0x02014b50) {
      patch(new DataView(out.buffer), i - 46);
      return out;
    }
  }
  throw new Error(`${name} not found in the central directory`);
}

const SMALL: PthTensorEntry[] = [
  { name: 'w', dtype: 'float32', shape: [2, 3], data: new Uint8Array(24) },
  { name: 'b', dtype: 'float32', shape: [3], data: new Uint8Array(12) },
];

describe('truncated checkpoints', () => {
  it('report E_CHECKPOINT_TRUNCATED with the file name and size at every cut point', async () => {
    const full = await readFixtureBytes('tiny_var.pth');
    const cuts = [2, 10, 1000, Math.floor(full.length / 2), full.length - 100, full.length - 23, full.length - 1];
    for (const cut of cuts) {
      const error = await openError(full.subarray(0, cut), 'tiny_var.pth');
      expect(error.code, `cut at ${cut}`).toBe('E_CHECKPOINT_TRUNCATED');
      expect(error.message).toContain('tiny_var.pth');
      expect(error.message).toContain(`has ${cut} bytes`);
    }
  });

  it('report a storage record shorter than its tensor, with bytes held and needed', async () => {
    const bytes = patchCentralEntry(await writePthToBytes(SMALL), 'archive/data/0', (dv, h) => {
      dv.setUint32(h + 20, 8, true);
      dv.setUint32(h + 24, 8, true);
    });
    const error = await openError(bytes, 'short.pth');
    expect(error.code).toBe('E_CHECKPOINT_TRUNCATED');
    expect(error.message).toContain('short.pth');
    expect(error.message).toContain('holds 8 bytes but tensor w needs 24');
  });

  it('report a storage record missing from the archive', async () => {
    const bytes = patchCentralEntry(await writePthToBytes(SMALL), 'archive/data/1', (dv, h) => {
      dv.setUint8(h + 46 + 'archive/data/'.length, 'X'.charCodeAt(0));
    });
    const error = await openError(bytes, 'gap.pth');
    expect(error.code).toBe('E_CHECKPOINT_TRUNCATED');
    expect(error.message).toContain('archive/data/1');
  });
});

describe('files that are not checkpoints', () => {
  it('an empty file is E_NOT_ZIP', async () => {
    const error = await openError(new Uint8Array(0), 'empty.pth');
    expect(error.code).toBe('E_NOT_ZIP');
    expect(error.message).toContain('empty.pth is empty');
  });

  it('random bytes are E_NOT_ZIP', async () => {
    let seed = 12345;
    const bytes = Uint8Array.from({ length: 4096 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    bytes[0] = 0x13; // neither "PK" nor a pickle PROTO
    const error = await openError(bytes, 'noise.bin');
    expect(error.code).toBe('E_NOT_ZIP');
    expect(error.message).toContain('noise.bin');
    expect(error.message).toContain('50 4b 03 04');
  });

  it('a torch<1.6 legacy file (bare pickle) is E_LEGACY_CHECKPOINT with the re-save advice', async () => {
    const legacy = Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19);
    const error = await openError(legacy, 'old.pth');
    expect(error.code).toBe('E_LEGACY_CHECKPOINT');
    expect(error.message).toContain('old.pth');
    expect(error.message).toContain('torch<1.6 legacy format');
    expect(error.message).toContain('_use_new_zipfile_serialization=True');
  });

  it('a ZIP without data.pkl is E_NOT_CHECKPOINT listing its entries', async () => {
    const zip = await collectChunks(writeStoredZip([{ name: 'docs/readme.txt', data: encodeUtf8('hello') }]));
    const error = await openError(zip, 'docs.zip');
    expect(error.code).toBe('E_NOT_CHECKPOINT');
    expect(error.message).toContain('docs.zip');
    expect(error.message).toContain('no data.pkl');
    expect(error.message).toContain('docs/readme.txt');
  });

  it('a pickle that is not a dict is E_NOT_CHECKPOINT saying what it holds', async () => {
    const error = await openError(await zipWithPickle(pk(OP.PROTO, 2, OP.EMPTY_LIST, OP.STOP)), 'list.pth');
    expect(error.code).toBe('E_NOT_CHECKPOINT');
    expect(error.message).toContain('list.pth holds a list(0)');
  });

  it('a nested training checkpoint is E_NOT_CHECKPOINT naming the offending key', async () => {
    const pickle = pk(
      OP.PROTO,
      2,
      OP.EMPTY_DICT,
      OP.MARK,
      binunicode('epoch'),
      OP.BININT1,
      5,
      binunicode('trainer'),
      OP.EMPTY_DICT,
      OP.SETITEMS,
      OP.STOP,
    );
    const error = await openError(await zipWithPickle(pickle), 'ar-ckpt-last.pth');
    expect(error.code).toBe('E_NOT_CHECKPOINT');
    expect(error.message).toContain("key 'epoch' holds int 5");
  });

  it('a compressed record is E_ZIP_UNSUPPORTED naming the entry', async () => {
    const bytes = patchCentralEntry(await writePthToBytes(SMALL), 'archive/data/1', (dv, h) =>
      dv.setUint16(h + 10, 8, true),
    );
    const error = await openError(bytes, 'zipped.pth');
    expect(error.code).toBe('E_ZIP_UNSUPPORTED');
    expect(error.message).toContain('archive/data/1');
  });
});

describe('malicious pickles', () => {
  const marker = tempMarkerPath('pwned');
  const command = binunicode(`touch ${marker}`);
  const cases: [string, Uint8Array][] = [
    ['GLOBAL', pk(OP.PROTO, 2, OP.GLOBAL, 'os\nsystem\n', command, OP.TUPLE1, OP.REDUCE, OP.STOP)],
    [
      'STACK_GLOBAL',
      pk(OP.PROTO, 4, binunicode('os'), binunicode('system'), OP.STACK_GLOBAL, command, OP.TUPLE1, OP.REDUCE, OP.STOP),
    ],
    [
      'GLOBAL inside a state dict',
      pk(
        OP.PROTO,
        2,
        OP.EMPTY_DICT,
        OP.MARK,
        binunicode('w'),
        OP.GLOBAL,
        'os\nsystem\n',
        command,
        OP.TUPLE1,
        OP.REDUCE,
        OP.SETITEMS,
        OP.STOP,
      ),
    ],
  ];
  for (const [how, pickle] of cases) {
    it(`os.system via ${how} is E_PICKLE_FORBIDDEN_GLOBAL and nothing runs`, async () => {
      const error = await openError(await zipWithPickle(pickle), 'evil.pth');
      expect(error.code).toBe('E_PICKLE_FORBIDDEN_GLOBAL');
      expect(error.message).toContain('os.system');
      expect(error.message).toContain('evil.pth');
      expect(pathExists(marker)).toBe(false);
    });
  }

  it('the VM source has no way to call anything it reads (no eval, Function, import, require, apply)', async () => {
    const source = await readRepoText('src/core/pth/pickle.ts');
    for (const pattern of [
      /\beval\b/,
      /\bnew Function\b/,
      /\bimport\(/,
      /\brequire\(/,
      /\.apply\(/,
      /\.call\(/,
      /Reflect\./,
      /globalThis/,
    ]) {
      expect(source).not.toMatch(pattern);
    }
  });
});

describe('impossible tensor records', () => {
  it('a view reaching past its storage is E_PICKLE_INVALID; an absurd size too', async () => {
    const past: PthTensorEntry[] = [
      { name: 'w', dtype: 'float32', shape: [2], data: new Uint8Array(8) },
      { name: 'v', dtype: 'float32', shape: [2], storageOffset: 1, stride: [5], shareStorageWith: 'w' },
    ];
    const error = await openError(await writePthToBytes(past), 'view.pth');
    expect(error.code).toBe('E_PICKLE_INVALID');
    expect(error.message).toContain('tensor v');
    const huge: PthTensorEntry[] = [
      { name: 'w', dtype: 'float32', shape: [1], data: new Uint8Array(4) },
      { name: 'x', dtype: 'float32', shape: [2 ** 30, 2 ** 30, 2 ** 10], stride: [0, 0, 0], shareStorageWith: 'w' },
    ];
    expect((await openError(await writePthToBytes(huge), 'huge.pth')).message).toContain('impossible size');
  });
});
