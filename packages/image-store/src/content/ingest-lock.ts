import lockfile from 'proper-lockfile';
import { ImageStoreError, throwIfAborted } from '../errors.js';

/** Longest wait for another process's ingest of the same blob (it refreshes its lock while it works). */
const WAIT_MS = 30 * 60_000;

/**
 * Holds `<partial>.lock` while one process writes a blob's partial file, so two processes
 * pulling the same layer never write one file at once (the second waits, then finds the blob
 * committed). A killed writer's lock goes stale after `staleMs` and is taken over; its partial
 * file is resumed like any interrupted ingest.
 */
export async function withIngestLock<T>(partial: string, work: () => Promise<T>, options: { signal?: AbortSignal; staleMs?: number } = {}): Promise<T> {
  const path = `${partial}.lock`;
  const deadline = Date.now() + WAIT_MS;
  let release: (() => Promise<void>) | undefined;
  for (let delay = 5; release === undefined; delay = Math.min(delay * 2, 200)) {
    throwIfAborted(options.signal, 'waiting for another process ingesting the same blob');
    try {
      release = await lockfile.lock(path, { stale: options.staleMs ?? 5_000, realpath: false, lockfilePath: path, onCompromised: () => undefined });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw new ImageStoreError('STORE_IO', `cannot lock ${path}: ${(e as Error).message}`, { cause: e });
      if (Date.now() > deadline) throw new ImageStoreError('IN_USE', `another process has held ${path} for over ${WAIT_MS / 60_000} minutes`, { cause: e });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
