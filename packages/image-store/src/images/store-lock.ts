import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ImageStoreError, throwIfAborted } from '../errors.js';

/** The lock directory under a store root (proper-lockfile makes it with mkdir). */
export const STORE_LOCK = 'store.lock';

export interface StoreLockOptions {
  /** A lock whose holder stopped refreshing it for this long is taken over (default 5 s). */
  staleMs?: number;
  /** How long an operation waits for another process's lock before giving up (default 60 s). */
  waitMs?: number;
}

/**
 * The store's short per-operation lock, shared by every process that opens the root: metadata
 * read-modify-writes, gc and rootfs pinning run under it, transfers and unpacking do not.
 * proper-lockfile (a directory made with mkdir, its mtime refreshed while held) rather than
 * flock: Node has no flock, the engine already locks this way, and a killed holder's lock goes
 * stale after `staleMs` instead of wedging the others. It is exclusive only; readers need no
 * lock because the image index is replaced by rename (see image-index.ts). Within a process,
 * operations queue on a promise chain first, so the directory is taken once at a time.
 */
export class StoreLock {
  readonly #path: string;
  readonly #staleMs: number;
  readonly #waitMs: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(root: string, options: StoreLockOptions = {}) {
    this.#path = join(root, STORE_LOCK);
    this.#staleMs = Math.max(options.staleMs ?? 5_000, 2_000);
    this.#waitMs = options.waitMs ?? 60_000;
  }

  /** Runs `work` holding the lock. */
  run<T>(work: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const job = this.#queue.catch(() => undefined).then(async () => {
      const release = await this.#acquire(options.signal);
      try {
        return await work();
      } finally {
        await release().catch(() => undefined);
      }
    });
    this.#queue = job.catch(() => undefined);
    return job;
  }

  async #acquire(signal: AbortSignal | undefined): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.#waitMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      throwIfAborted(signal, 'waiting for the image store lock');
      try {
        // onCompromised: the default throws from a timer, which would end the whole process.
        return await lockfile.lock(this.#path, { stale: this.#staleMs, realpath: false, lockfilePath: this.#path, onCompromised: () => undefined });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') {
          throw new ImageStoreError('STORE_IO', `cannot lock ${this.#path}: ${(e as Error).message}`, { cause: e });
        }
        if (Date.now() > deadline) {
          throw new ImageStoreError('IN_USE', `image store lock ${this.#path} held by another process for over ${this.#waitMs / 1000} s`, { cause: e });
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
