/**
 * Resolves true once `done` settles, false after `ms` or when `signal` fires. Its timer keeps the
 * process alive meanwhile (runners are unreferenced children: their exit alone would not).
 */
export async function waitUntil(done: Promise<void>, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  return new Promise((resolve) => {
    const finish = (value: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = (): void => finish(false);
    const timer = setTimeout(() => finish(false), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    void done.then(() => finish(true));
  });
}
