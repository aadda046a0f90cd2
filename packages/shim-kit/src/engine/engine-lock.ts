import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { ShimError } from '../errors.js';

/** How long a command waits for another one holding the lock. */
const WAIT_MS = 30_000;

/**
 * Runs `work` holding the engine's lock file, so concurrent CLI invocations change the state
 * one at a time. proper-lockfile (a directory made with mkdir, atomic on every filesystem,
 * its mtime refreshed while held) rather than flock: Node has no flock, and a lock left by a
 * killed process goes stale after `staleMs` and is taken over, so a crash never wedges the engine.
 */
export async function withEngineLock<T>(file: string, work: () => Promise<T>, options: { signal?: AbortSignal; staleMs?: number } = {}): Promise<T> {
  // sync: microseconds each, where an async call waits for a thread-pool thread (milliseconds on a loaded machine)
  mkdirSync(dirname(file), { recursive: true });
  closeSync(openSync(file, 'a'));
  const deadline = Date.now() + WAIT_MS;
  let release: (() => Promise<void>) | undefined;
  for (let delay = 5; release === undefined; delay = Math.min(delay * 2, 100)) {
    options.signal?.throwIfAborted();
    try {
      release = await lockfile.lock(file, { stale: options.staleMs ?? 10_000, realpath: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw new ShimError('Internal', `cannot lock ${file}: ${(e as Error).message}`, { cause: e });
      if (Date.now() > deadline) throw new ShimError('Unavailable', `another shimkit command holds ${file} (waited ${WAIT_MS / 1000} s)`, { cause: e });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
