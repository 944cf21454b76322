// Inputs a converter must refuse, each with its own error code: a pickle that names a forbidden global, a truncated
// checkpoint, a file that is no checkpoint at all.

import { OP } from '../../core/pth/pickle-opcodes';
import { encodeUtf8 } from '../../core/pth/utf8';
import { collectChunks, writeStoredZip } from './zip-writer';

/** A checkpoint-shaped ZIP whose data.pkl would call os.system (E_PICKLE_FORBIDDEN_GLOBAL; nothing runs). */
export function hostileCheckpoint(): Promise<Uint8Array> {
  const command = encodeUtf8('touch /tmp/var-web-pwned');
  const pickle = Uint8Array.from([
    OP.PROTO,
    2,
    OP.GLOBAL,
    ...encodeUtf8('os\nsystem\n'),
    OP.BINUNICODE,
    command.length,
    0,
    0,
    0,
    ...command,
    OP.TUPLE1,
    OP.REDUCE,
    OP.STOP,
  ]);
  return collectChunks(writeStoredZip([{ name: 'archive/data.pkl', data: pickle }]));
}

/** The first `fraction` of a file, as an interrupted download leaves it (E_CHECKPOINT_TRUNCATED). */
export function truncated(bytes: Uint8Array, fraction = 0.6): Uint8Array {
  return bytes.slice(0, Math.floor(bytes.byteLength * fraction));
}

/** Bytes that are not a ZIP at all (E_NOT_ZIP). */
export function notACheckpoint(size = 4096): Uint8Array {
  const out = new Uint8Array(size);
  out.set(encodeUtf8('<!doctype html><title>not a checkpoint</title>'));
  return out;
}
