// The lab-page helper of the browser benchmarks owns its server and its browser: nothing of ours is left running
// after it returns, twice in a row, and a busy port is a clear error rather than a silent use of another server.

import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { expect, test } from '@playwright/test';
import { assertPortFree, withLabPage } from '../src/testing/lab/lab-server';

const PORT = 4188;

/** Processes started by this one (the helper's chromium would be one; so is Playwright's own browser, if any). */
function childProcesses(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/\bps -o pid=,args=/.test(l));
}

test('runs twice on the same port and leaves no server or browser behind', async () => {
  test.setTimeout(120_000);
  const before = childProcesses();
  for (let i = 0; i < 2; i++) {
    const title = await withLabPage(PORT, async (page) => {
      // While it runs, the port is taken by its own server and its chromium is a child of this process.
      await expect(assertPortFree(PORT)).rejects.toThrow(/in use/);
      expect(childProcesses().some((p) => /chromium/.test(p))).toBe(true);
      return page.title();
    });
    expect(title).toBe('var-web · ORT lab');
    await expect(assertPortFree(PORT)).resolves.toBeUndefined();
    expect(childProcesses()).toEqual(before);
  }
});

test('a busy port is a clear error, and the helper starts no browser for it', async () => {
  const before = childProcesses();
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(PORT, '127.0.0.1', resolve));
  try {
    let ran = false;
    await expect(
      withLabPage(PORT, async () => {
        ran = true;
      }),
    ).rejects.toThrow(`port ${PORT} is in use by another process`);
    expect(ran).toBe(false);
    expect(childProcesses()).toEqual(before);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
