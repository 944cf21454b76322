// Keeps VarError codes intact across comlink: its default 'throw' handler keeps only name, message and stack.

import * as Comlink from 'comlink';
import { VarError } from '../shared/errors';

const VAR_ERROR_TAG = 'var-web/VarError';

interface TaggedVarError {
  readonly tag: typeof VAR_ERROR_TAG;
  readonly error: ReturnType<VarError['toJSON']>;
}

function isTaggedVarError(value: unknown): value is TaggedVarError {
  return typeof value === 'object' && value !== null && (value as { tag?: unknown }).tag === VAR_ERROR_TAG;
}

let installed = false;

/** Wraps comlink's own 'throw' handler (its marker symbol is not exported) so VarErrors keep their code. */
export function installVarErrorTransfer(): void {
  if (installed) return;
  const original = Comlink.transferHandlers.get('throw');
  if (!original) throw new Error("comlink has no 'throw' transfer handler to extend");
  installed = true;
  Comlink.transferHandlers.set('throw', {
    canHandle: (value: unknown): value is unknown => original.canHandle(value),
    serialize: (thrown: unknown): [unknown, Transferable[]] => {
      const inner = (thrown as { value?: unknown }).value;
      if (inner instanceof VarError) return [{ tag: VAR_ERROR_TAG, error: inner.toJSON() }, []];
      return original.serialize(thrown);
    },
    deserialize: (serialized: unknown): unknown => {
      if (isTaggedVarError(serialized) && VarError.isSerialized(serialized.error)) {
        throw VarError.fromJSON(serialized.error);
      }
      return original.deserialize(serialized);
    },
  });
}
