import 'fake-indexeddb/auto';
import { createStore, get, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { reconnectingStore } from './reconnecting-store';

/** Closes the connection the store has cached, as iOS or "Clear site data" do behind idb-keyval's back. */
async function closeConnection(use: ReturnType<typeof createStore>): Promise<void> {
  const db = await use('readonly', (store) => store.transaction.db);
  db.close();
}

describe('reconnectingStore', () => {
  it('plain idb-keyval fails for good once its connection is closing', async () => {
    const use = createStore('reconnect-plain', 'kv');
    await set('k', 1, use);
    await closeConnection(use);
    await expect(get('k', use)).rejects.toMatchObject({ name: 'InvalidStateError' });
  });

  it('reopens the database and retries the call', async () => {
    const use = reconnectingStore('reconnect-wrapped', 'kv');
    await set('k', 1, use);
    await closeConnection(use);
    expect(await get('k', use)).toBe(1);
    await set('k', 2, use);
    expect(await get('k', use)).toBe(2);
  });
});
