import { describe, expect, it } from 'vitest';
import { VarError } from '../../src/shared/errors';
import { outOfMemory } from './run-errors';

describe('outOfMemory', () => {
  it.each([
    'RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded; could not allocate memory',
    'Array buffer allocation failed',
    '[WebGPU] Out of memory',
    "Can't create a session. ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc",
  ])('turns "%s" into E_OUT_OF_MEMORY with the original message', (message) => {
    const error = outOfMemory(new RangeError(message));
    expect(error?.code).toBe('E_OUT_OF_MEMORY');
    expect(error?.details).toEqual({ message });
  });

  it('leaves other errors, and errors that already have a code, alone', () => {
    expect(outOfMemory(new Error('input tensor has the wrong shape'))).toBeUndefined();
    expect(outOfMemory(new VarError('E_ABORTED', 'out of memory? no: cancelled'))).toBeUndefined();
  });
});
