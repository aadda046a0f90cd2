import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readExitFile, type ExitStatus } from './exit-file.js';
import type { Logger } from './logger.js';
import { RuncError } from './runc-error.js';

/** One container exit seen by an {@link ExitWatcher}. */
export interface ContainerExit extends ExitStatus {
  id: string;
}

/** Options of {@link ExitWatcher}. */
export interface ExitWatcherOptions {
  /** Safety-net rescan interval when inotify events are missed (default 1000 ms). */
  pollIntervalMs?: number;
  /** Use fs.watch (default true); false relies on the rescan alone. */
  watch?: boolean;
  /** Report exit files already present when the watcher starts (default true). */
  reportExisting?: boolean;
  logger?: Logger;
}

// conmon writes exit files with g_file_set_contents: a temp file `<id>.XXXXXX` renamed
// over `<id>`. Checking a name shortly after its event skips temp names (gone by then).
const SETTLE_MS = 25;

/**
 * Watches conmon's exit directory and reports each container exit once, as it happens
 * (fs.watch), with a periodic rescan as a fallback.
 */
export class ExitWatcher {
  readonly dir: string;
  readonly #options: ExitWatcherOptions;
  readonly #reported = new Map<string, ContainerExit>();
  readonly #listeners = new Set<(exit: ContainerExit) => void>();
  readonly #waiters = new Map<string, Set<{ done: (exit: ContainerExit) => void; fail: (err: RuncError) => void }>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #started: Promise<void> | undefined;
  #closed = false;

  constructor(dir: string, options: ExitWatcherOptions = {}) {
    this.dir = dir;
    this.#options = options;
  }

  /** Starts watching (creates the directory if missing). Idempotent. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  /** Calls `listener` for every exit from now on; returns a function that unsubscribes. */
  onExit(listener: (exit: ContainerExit) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the container's exit (at once if already seen); keeps the process alive meanwhile. */
  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<ContainerExit> {
    await this.start();
    const seen = this.#reported.get(id);
    if (seen) return seen;
    const { signal } = options;
    if (signal?.aborted) throw new RuncError('ABORTED', `waiting for the exit of ${id}: aborted`, { cause: signal.reason });
    if (this.#closed) throw new RuncError('CLOSED', `exit watcher closed while waiting for ${id}`);
    return new Promise<ContainerExit>((resolve, reject) => {
      const set = this.#waiters.get(id) ?? new Set();
      this.#waiters.set(id, set);
      const waiter = {
        done: (exit: ContainerExit): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(exit);
        },
        fail: (err: RuncError): void => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = (): void => {
        set.delete(waiter);
        if (set.size === 0) this.#waiters.delete(id);
        this.#updateRef();
        reject(new RuncError('ABORTED', `waiting for the exit of ${id}: aborted`, { cause: signal?.reason }));
      };
      set.add(waiter);
      this.#updateRef();
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.#check(id, 0);
    });
  }

  /** Forgets a reported exit (after the container was deleted and its exit file removed). */
  forget(id: string): void {
    this.#reported.delete(id);
  }

  /** Stops watching; pending waits reject with `CLOSED`. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#poll) clearInterval(this.#poll);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const [id, set] of this.#waiters) {
      for (const w of set) w.fail(new RuncError('CLOSED', `exit watcher closed while waiting for ${id}`));
    }
    this.#waiters.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (this.#closed) return;
    if (this.#options.watch ?? true) this.#watch();
    const interval = this.#options.pollIntervalMs ?? 1000;
    this.#poll = setInterval(() => void this.#rescan(), interval);
    this.#updateRef();
    await this.#rescan(this.#options.reportExisting ?? true);
  }

  #watch(): void {
    try {
      this.#watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name !== '') this.#schedule(name);
      });
      this.#watcher.on('error', (err) => {
        this.#options.logger?.warn('exit watcher: fs.watch failed, polling only', { dir: this.dir, error: String(err) });
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#options.logger?.warn('exit watcher: fs.watch unavailable, polling only', { dir: this.dir, error: String(err) });
    }
  }

  /** The rescan timer keeps the process alive only while someone waits for an exit. */
  #updateRef(): void {
    if (!this.#poll) return;
    if (this.#waiters.size > 0) this.#poll.ref();
    else this.#poll.unref();
  }

  #schedule(name: string): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#check(name, 0);
    }, SETTLE_MS);
    timer.unref();
    this.#timers.add(timer);
  }

  async #rescan(notify = true): Promise<void> {
    if (this.#closed) return;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    await Promise.all(names.filter((n) => !this.#reported.has(n)).map((n) => this.#check(n, SETTLE_MS, notify)));
  }

  /** Reads `<dir>/<name>`; records it and (when `notify`) tells listeners. Waiters always resolve. */
  async #check(name: string, settleMs: number, notify = true): Promise<void> {
    if (this.#closed || this.#reported.has(name)) return;
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
    let status;
    try {
      status = await readExitFile(join(this.dir, name));
    } catch {
      return; // a temp file or garbage: the real file will come with its own event
    }
    if (!status || this.#closed || this.#reported.has(name)) return;
    const exit: ContainerExit = { id: name, ...status };
    this.#reported.set(name, exit);
    for (const listener of notify ? this.#listeners : []) {
      try {
        listener(exit);
      } catch (err) {
        this.#options.logger?.warn('exit watcher: listener threw', { error: String(err) });
      }
    }
    const waiters = this.#waiters.get(name);
    this.#waiters.delete(name);
    this.#updateRef();
    for (const w of waiters ?? []) w.done(exit);
  }
}
