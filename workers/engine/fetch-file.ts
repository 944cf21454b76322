// Small files over HTTP (the models index, manifests) with byte progress and a specific error for each way it can
// fail. Pack files go through the store's resumable fetch (store/fetch-resumable.ts).

import { VarError } from '../../src/shared/errors';

export type ByteProgress = (loadedBytes: number, totalBytes: number) => void;

/** GETs `url` into memory, reporting bytes as they arrive; `expectedBytes` (from a manifest) sizes the buffer. */
export async function fetchBytes(
  url: string,
  expectedBytes: number | undefined,
  onProgress?: ByteProgress,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new VarError(
      'E_NETWORK',
      `Could not reach ${url}: ${error instanceof Error ? error.message : String(error)}`,
      {
        url,
      },
    );
  }
  if (!response.ok) {
    throw new VarError('E_NETWORK', `${url} answered HTTP ${response.status} ${response.statusText}`.trim(), {
      url,
      status: response.status,
    });
  }
  const header = Number(response.headers.get('content-length') ?? Number.NaN);
  const total = expectedBytes ?? (Number.isFinite(header) ? header : 0);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.(bytes.byteLength, total || bytes.byteLength);
    return bytes;
  }
  // One buffer of the expected size when known, so a 1 GB file is not held twice while it is assembled.
  let buffer = new Uint8Array(total > 0 ? total : 1 << 20);
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.byteLength > buffer.byteLength) {
      if (expectedBytes !== undefined) {
        await reader.cancel();
        throw new VarError('E_PACK_CORRUPT', `${url} is larger than the ${expectedBytes} bytes its manifest lists`, {
          url,
        });
      }
      const grown = new Uint8Array(Math.max(buffer.byteLength * 2, loaded + value.byteLength));
      grown.set(buffer.subarray(0, loaded));
      buffer = grown;
    }
    buffer.set(value, loaded);
    loaded += value.byteLength;
    onProgress?.(loaded, total || loaded);
  }
  return loaded === buffer.byteLength ? buffer : buffer.slice(0, loaded);
}
