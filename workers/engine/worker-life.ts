// The worker's side of the page's death watch: holds a Web Lock for as long as this worker lives. The browser releases
// it when the worker ends in any way (terminate(), close(), a crash), which is what the page waits for.

/** Takes the lock named `name` and keeps it until the worker ends; resolves once it is held. */
export function holdLifeLock(name: string): Promise<void> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return Promise.resolve(); // no Web Locks: the page cannot watch, and does not wait for this
  return new Promise((held) => {
    void locks.request(name, () => {
      held();
      return new Promise<never>(() => {}); // never settles: the lock goes with the worker
    });
  });
}
