import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../content/atomic-write.js';
import { processStart } from '../process-start.js';

/** Lease files under a store root: one per store object while it writes blobs or snapshots it has not recorded yet. */
export const LEASES_DIR = 'leases';

interface LeaseFile {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat field 22), so a reused pid is not taken for the holder. */
  started: string;
}

/**
 * This store object's lease, and what the others hold. A store writes its lease before it
 * starts writing unrecorded content (a pull, import, build or export) and removes it when the
 * last such operation ends; gc, in any process, leaves blobs and snapshots alone while another
 * live lease exists, since they may be what that operation just wrote or is about to reuse.
 * Taking a lease and gc both run under the store lock, so neither misses the other.
 */
export class StoreLeases {
  readonly #dir: string;
  readonly #prefix = `${process.pid}-${randomBytes(4).toString('hex')}-`;
  readonly #mine: LeaseFile = { pid: process.pid, started: processStart(process.pid) ?? '' };
  #count = 0;

  constructor(root: string) {
    this.#dir = join(root, LEASES_DIR);
  }

  /** Writes a lease of this store (call it under the store lock); returns its release. */
  async take(): Promise<() => Promise<void>> {
    await mkdir(this.#dir, { recursive: true });
    const path = join(this.#dir, `${this.#prefix}${++this.#count}.json`);
    await writeFileAtomic(path, JSON.stringify(this.#mine), { durable: false });
    return () => rm(path, { force: true });
  }

  /**
   * The pids of other store objects holding a lease now; leases of processes that are gone
   * (killed mid-pull) are removed on the way.
   */
  async others(): Promise<number[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    const live: number[] = [];
    for (const name of names) {
      if (name.startsWith(this.#prefix) || !name.endsWith('.json')) continue;
      const path = join(this.#dir, name);
      const lease = await readFile(path, 'utf8').then((t) => JSON.parse(t) as LeaseFile, () => undefined);
      if (lease !== undefined && processStart(lease.pid) === lease.started) live.push(lease.pid);
      else await rm(path, { force: true });
    }
    return live;
  }
}
