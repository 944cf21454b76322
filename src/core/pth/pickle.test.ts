// The safe pickle VM: every supported opcode, torch records, and hostile pickles rejected before anything runs.

import { describe, expect, it } from 'vitest';
import { hasErrorCode, type VarError } from '../../shared/errors';
import { errorOf } from '../../testing/fixtures';
import { ALLOWED_GLOBALS, loadPickle } from './pickle';
import { OP } from './pickle-opcodes';
import {
  PickleDict,
  PickleGlobal,
  type PickleSet,
  PickleStorage,
  PickleTensor,
  PickleTuple,
  type PickleValue,
} from './pickle-values';

/** Assembles pickle bytes: numbers are single bytes, strings are ASCII bytes, arrays are spliced in. */
function pk(...parts: (number | string | Uint8Array | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const u64 = (v: number): number[] => [...u32(v % 2 ** 32), ...u32(Math.floor(v / 2 ** 32))];
const unicode = (s: string): (number | string | number[])[] => [OP.BINUNICODE, u32(s.length), s];
const load = (...parts: Parameters<typeof pk>): PickleValue =>
  loadPickle(pk(OP.PROTO, 2, ...parts, OP.STOP), 'test.pkl');

describe('pickle VM: values', () => {
  it('reads ints of every width, floats, None and booleans', () => {
    expect(load(OP.BININT1, 200)).toBe(200);
    expect(load(OP.BININT2, 0x34, 0x12)).toBe(0x1234);
    expect(load(OP.BININT, u32(-5 >>> 0))).toBe(-5);
    expect(load(OP.LONG1, 0)).toBe(0);
    expect(load(OP.LONG1, 2, 0xff, 0x7f)).toBe(32767);
    expect(load(OP.LONG1, 1, 0xff)).toBe(-1);
    expect(load(OP.LONG1, 8, 0, 0, 0, 0, 0, 0, 0, 0x80)).toBe(-(2n ** 63n));
    expect(load(OP.LONG4, u32(9), 1, 0, 0, 0, 0, 0, 0, 0, 1)).toBe(2n ** 64n + 1n);
    expect(load(OP.BINFLOAT, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0)).toBe(1.5);
    expect(load(OP.NONE)).toBeNull();
    expect(load(OP.NEWTRUE)).toBe(true);
    expect(load(OP.NEWFALSE)).toBe(false);
  });

  it('reads strings and bytes of every opcode', () => {
    expect(load(...unicode('pos_1LC'))).toBe('pos_1LC');
    expect(load(OP.SHORT_BINUNICODE, 2, 0xc3, 0xa9)).toBe('é');
    expect(load(OP.BINUNICODE8, u64(3), 'abc')).toBe('abc');
    expect(load(OP.BINSTRING, u32(2), 'hi')).toBe('hi');
    expect(load(OP.SHORT_BINSTRING, 1, 0xe9)).toBe('é');
    expect(load(OP.BINBYTES, u32(2), 1, 2)).toEqual(Uint8Array.of(1, 2));
    expect(load(OP.SHORT_BINBYTES, 1, 9)).toEqual(Uint8Array.of(9));
    expect(load(OP.BINBYTES8, u64(1), 7)).toEqual(Uint8Array.of(7));
    expect(load(OP.BYTEARRAY8, u64(1), 8)).toEqual(Uint8Array.of(8));
  });

  it('builds tuples, lists, dicts and sets', () => {
    expect(load(OP.EMPTY_TUPLE)).toEqual(new PickleTuple([]));
    expect(load(OP.BININT1, 1, OP.TUPLE1)).toEqual(new PickleTuple([1]));
    expect(load(OP.BININT1, 1, OP.BININT1, 2, OP.TUPLE2)).toEqual(new PickleTuple([1, 2]));
    expect(load(OP.BININT1, 1, OP.BININT1, 2, OP.BININT1, 3, OP.TUPLE3)).toEqual(new PickleTuple([1, 2, 3]));
    expect(load(OP.MARK, OP.BININT1, 1, OP.BININT1, 2, OP.BININT1, 3, OP.BININT1, 4, OP.TUPLE)).toEqual(
      new PickleTuple([1, 2, 3, 4]),
    );
    expect(load(OP.EMPTY_LIST, OP.BININT1, 1, OP.APPEND, OP.MARK, OP.BININT1, 2, OP.BININT1, 3, OP.APPENDS)).toEqual([
      1, 2, 3,
    ]);
    expect(load(OP.MARK, OP.BININT1, 5, OP.LIST)).toEqual([5]);
    const d = load(
      OP.EMPTY_DICT,
      ...unicode('a'),
      OP.BININT1,
      1,
      OP.SETITEM,
      OP.MARK,
      ...unicode('b'),
      OP.NONE,
      OP.SETITEMS,
    );
    expect(d).toBeInstanceOf(PickleDict);
    expect([...(d as PickleDict).entries]).toEqual([
      ['a', 1],
      ['b', null],
    ]);
    const d2 = load(OP.MARK, ...unicode('k'), OP.BININT1, 3, OP.DICT) as PickleDict;
    expect(d2.entries.get('k')).toBe(3);
    const s = load(OP.EMPTY_SET, OP.MARK, OP.BININT1, 1, OP.BININT1, 2, OP.ADDITEMS) as PickleSet;
    expect(s.items).toEqual([1, 2]);
    expect((load(OP.MARK, OP.BININT1, 1, OP.FROZENSET) as PickleSet).frozen).toBe(true);
  });

  it('handles the memo, DUP, POP, POP_MARK and FRAME', () => {
    expect(load(OP.BININT1, 7, OP.BINPUT, 3, OP.POP, OP.BINGET, 3)).toBe(7);
    expect(load(OP.BININT1, 7, OP.LONG_BINPUT, u32(300), OP.POP, OP.LONG_BINGET, u32(300))).toBe(7);
    expect(load(OP.BININT1, 8, OP.MEMOIZE, OP.BININT1, 9, OP.MEMOIZE, OP.POP, OP.POP, OP.BINGET, 1)).toBe(9);
    expect(load(OP.BININT1, 4, OP.DUP, OP.TUPLE2)).toEqual(new PickleTuple([4, 4]));
    expect(load(OP.BININT1, 1, OP.MARK, OP.BININT1, 2, OP.BININT1, 3, OP.POP_MARK)).toBe(1);
    expect(loadPickle(pk(OP.PROTO, 4, OP.FRAME, u64(3), OP.BININT1, 6, OP.STOP), 'f')).toBe(6);
  });
});

describe('pickle VM: torch records', () => {
  const storage = [
    OP.MARK,
    ...unicode('storage'),
    OP.GLOBAL,
    'torch\nHalfStorage\n',
    ...unicode('7'),
    ...unicode('cuda:0'),
    OP.BININT1,
    12,
    OP.TUPLE,
    OP.BINPERSID,
  ];

  it('builds a tensor record from _rebuild_tensor_v2 with 6 or 7 arguments', () => {
    for (const seventh of [[], [OP.EMPTY_DICT]]) {
      const t = load(
        OP.GLOBAL,
        'torch._utils\n_rebuild_tensor_v2\n',
        OP.MARK,
        ...storage,
        OP.BININT1,
        2,
        OP.BININT1,
        2,
        OP.BININT1,
        3,
        OP.TUPLE2,
        OP.BININT1,
        1,
        OP.BININT1,
        2,
        OP.TUPLE2,
        OP.NEWFALSE,
        OP.GLOBAL,
        'collections\nOrderedDict\n',
        OP.EMPTY_TUPLE,
        OP.REDUCE,
        ...seventh,
        OP.TUPLE,
        OP.REDUCE,
      );
      expect(t).toEqual(
        new PickleTensor(new PickleStorage('HalfStorage', 'float16', '7', 'cuda:0', 12), 2, [2, 3], [1, 2]),
      );
    }
  });

  it('unwraps _rebuild_parameter to its tensor', () => {
    const t = load(
      OP.GLOBAL,
      'torch._utils\n_rebuild_parameter\n',
      OP.MARK,
      OP.GLOBAL,
      'torch._utils\n_rebuild_tensor_v2\n',
      OP.MARK,
      ...storage,
      OP.BININT1,
      0,
      OP.EMPTY_TUPLE,
      OP.EMPTY_TUPLE,
      OP.NEWFALSE,
      OP.NONE,
      OP.TUPLE,
      OP.REDUCE,
      OP.NEWTRUE,
      OP.EMPTY_DICT,
      OP.TUPLE,
      OP.REDUCE,
    );
    expect(t).toBeInstanceOf(PickleTensor);
    expect((t as PickleTensor).shape).toEqual([]);
  });

  it('turns OrderedDict (REDUCE and NEWOBJ) into a dict and accepts BUILD of _metadata on it', () => {
    const d = load(
      OP.GLOBAL,
      'collections\nOrderedDict\n',
      OP.EMPTY_TUPLE,
      OP.REDUCE,
      OP.MARK,
      ...unicode('x'),
      OP.BININT1,
      1,
      OP.SETITEMS,
      OP.EMPTY_DICT,
      ...unicode('_metadata'),
      OP.EMPTY_DICT,
      OP.SETITEM,
      OP.BUILD,
    ) as PickleDict;
    expect(d.ordered).toBe(true);
    expect([...d.entries.keys()]).toEqual(['x']);
    expect(load(OP.GLOBAL, 'collections\nOrderedDict\n', OP.EMPTY_TUPLE, OP.NEWOBJ)).toBeInstanceOf(PickleDict);
    const fromPairs = load(
      OP.GLOBAL,
      'collections\nOrderedDict\n',
      OP.MARK,
      OP.BININT1,
      1,
      OP.BININT1,
      2,
      OP.TUPLE2,
      OP.LIST,
      OP.TUPLE1,
      OP.REDUCE,
    ) as PickleDict;
    expect(fromPairs.entries.get(1)).toBe(2);
  });

  it('resolves STACK_GLOBAL against the same allowlist', () => {
    const g = load(OP.SHORT_BINUNICODE, 5, 'torch', OP.SHORT_BINUNICODE, 11, 'LongStorage', OP.STACK_GLOBAL);
    expect(g).toEqual(new PickleGlobal('torch', 'LongStorage'));
  });

  it('allows exactly OrderedDict, the two rebuild functions and the ten storage types', () => {
    expect(ALLOWED_GLOBALS.size).toBe(13);
  });
});

describe('pickle VM: hostile input', () => {
  const forbidden = (pickle: Uint8Array): VarError => errorOf(() => loadPickle(pickle, 'evil.pkl'));

  it('rejects os.system via GLOBAL at the GLOBAL opcode, before any REDUCE', () => {
    const error = forbidden(
      pk(OP.PROTO, 2, OP.GLOBAL, 'os\nsystem\n', ...unicode('touch /tmp/x'), OP.TUPLE1, OP.REDUCE, OP.STOP),
    );
    expect(hasErrorCode(error, 'E_PICKLE_FORBIDDEN_GLOBAL')).toBe(true);
    expect(error.message).toContain('os.system');
    expect(error.message).toContain('evil.pkl');
    expect(error.details).toMatchObject({ global: 'os.system', offset: 2 });
  });

  it('rejects builtins.eval via STACK_GLOBAL', () => {
    const error = forbidden(
      pk(OP.PROTO, 4, OP.SHORT_BINUNICODE, 8, 'builtins', OP.SHORT_BINUNICODE, 4, 'eval', OP.STACK_GLOBAL, OP.STOP),
    );
    expect(hasErrorCode(error, 'E_PICKLE_FORBIDDEN_GLOBAL')).toBe(true);
    expect(error.message).toContain('builtins.eval');
    expect(error.details).toMatchObject({ offset: 18 });
  });

  it('rejects torch globals outside the allowlist', () => {
    for (const name of ['torch\nload\n', 'torch._utils\n_rebuild_parameter_with_state\n', 'torch\nQInt8Storage\n']) {
      expect(forbidden(pk(OP.PROTO, 2, OP.GLOBAL, name, OP.STOP)).code).toBe('E_PICKLE_FORBIDDEN_GLOBAL');
    }
  });

  const invalid: [string, Uint8Array, string][] = [
    ['an opcode outside protocols 2–5 binary set (INST)', pk(OP.PROTO, 2, OP.INST, 'os\nsystem\n', OP.STOP), 'INST'],
    ['NEWOBJ_EX', pk(OP.PROTO, 4, OP.NEWOBJ_EX, OP.STOP), 'NEWOBJ_EX'],
    ['text-mode PERSID', pk(OP.PROTO, 2, OP.PERSID, '1\n', OP.STOP), 'PERSID'],
    ['an unknown byte', pk(OP.PROTO, 2, 0xff, OP.STOP), '0xff'],
    ['a BINUNICODE length past the end', pk(OP.PROTO, 2, OP.BINUNICODE, u32(0xfffffff0), 'ab', OP.STOP), 'exceeds'],
    ['a BINBYTES8 length of 2^60', pk(OP.PROTO, 2, OP.BINBYTES8, u64(2 ** 60), OP.STOP), 'exceeds'],
    ['a negative BINSTRING length', pk(OP.PROTO, 2, OP.BINSTRING, u32(-1 >>> 0), OP.STOP), 'exceeds'],
    ['a missing STOP', pk(OP.PROTO, 2, OP.NONE), 'STOP'],
    ['a stack underflow', pk(OP.PROTO, 2, OP.APPEND, OP.STOP), 'underflow'],
    ['an undefined memo entry', pk(OP.PROTO, 2, OP.BINGET, 9, OP.STOP), 'memo'],
    ['TUPLE without MARK', pk(OP.PROTO, 2, OP.TUPLE, OP.STOP), 'MARK'],
    ['an unsupported protocol', pk(OP.PROTO, 6, OP.NONE, OP.STOP), 'protocol'],
    ['SETITEM on a list', pk(OP.PROTO, 2, OP.EMPTY_LIST, OP.NONE, OP.NONE, OP.SETITEM, OP.STOP), 'set items'],
    [
      'REDUCE of a storage type',
      pk(OP.PROTO, 2, OP.GLOBAL, 'torch\nFloatStorage\n', OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP),
      'FloatStorage',
    ],
    ['REDUCE of a non-global', pk(OP.PROTO, 2, OP.NONE, OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP), 'REDUCE'],
    ['BUILD on a list', pk(OP.PROTO, 2, OP.EMPTY_LIST, OP.EMPTY_DICT, OP.BUILD, OP.STOP), 'BUILD'],
    [
      'a malformed persistent id',
      pk(OP.PROTO, 2, ...unicode('storage'), OP.TUPLE1, OP.BINPERSID, OP.STOP),
      'persistent id',
    ],
    [
      'a rebuild with 5 arguments',
      pk(
        OP.PROTO,
        2,
        OP.GLOBAL,
        'torch._utils\n_rebuild_tensor_v2\n',
        OP.MARK,
        OP.NONE,
        OP.NONE,
        OP.NONE,
        OP.NONE,
        OP.NONE,
        OP.TUPLE,
        OP.REDUCE,
        OP.STOP,
      ),
      '6 or 7',
    ],
  ];
  for (const [what, bytes, text] of invalid) {
    it(`rejects ${what} with E_PICKLE_INVALID`, () => {
      const error = errorOf(() => loadPickle(bytes, 'bad.pkl'));
      expect(error.code).toBe('E_PICKLE_INVALID');
      expect(error.message).toContain(text);
      expect(error.message).toContain('bad.pkl');
      expect(error.message).toMatch(/at offset \d+/);
    });
  }

  it('names the opcode and its offset for unsupported opcodes', () => {
    const error = errorOf(() => loadPickle(pk(OP.PROTO, 2, OP.NONE, OP.INST, 'a\nb\n', OP.STOP), 'bad.pkl'));
    expect(error.message).toContain("INST ('i', 0x69) at offset 3");
  });
});
