// VarError keeps its code across a real comlink channel (Node's MessageChannel stands in for the worker port).
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { VarError } from '../shared/errors';
import { installVarErrorTransfer } from './comlink-errors';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

function connect<T>(impl: T): Comlink.Remote<T> {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  Comlink.expose(impl, port1);
  return Comlink.wrap<T>(port2);
}

describe('installVarErrorTransfer', () => {
  it('rethrows a VarError with its code and details on the calling side', async () => {
    installVarErrorTransfer();
    const remote = connect({
      fail(): void {
        throw new VarError('E_CHECKPOINT_TRUNCATED', 'var_d16.pth is truncated', { size: 10 });
      },
    });
    const error = await remote.fail().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VarError);
    expect(error).toMatchObject({
      code: 'E_CHECKPOINT_TRUNCATED',
      message: 'var_d16.pth is truncated',
      details: { size: 10 },
    });
  });

  it('still passes plain errors through as Error with their message', async () => {
    installVarErrorTransfer();
    const remote = connect({
      fail(): void {
        throw new TypeError('boom');
      },
    });
    const error = await remote.fail().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(VarError);
    expect((error as Error).message).toBe('boom');
  });
});
