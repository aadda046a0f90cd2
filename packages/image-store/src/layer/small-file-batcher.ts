import { dirname } from 'node:path';
import type { SmallFileJob } from './file-writer-pool.js';
import { fileWriterPool } from './file-writer-pool.js';

const BATCH_FILES = 64;
const BATCH_BYTES = 1 << 20;
const MAX_BATCHES_IN_FLIGHT = 4;

/**
 * Collects the small files of one layer into batches for the writer threads
 * and keeps track of which paths are still being written, so the applier can
 * wait for them before any entry that could depend on them.
 */
export class SmallFileBatcher {
  /** Content bytes written so far. */
  bytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pending = new Set<string>();
  private batch: SmallFileJob[] = [];
  private batchPaths: string[] = [];
  private batchBytes = 0;
  private failure: unknown;

  /** Rethrows the first write failure, if there was one. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** True when a file at `parts` (resolved: no symlink on the way) or above it is still being written. */
  touchesPending(parts: readonly string[]): boolean {
    if (this.pending.size === 0) return false;
    let rel = '';
    for (const p of parts) {
      rel = rel === '' ? p : `${rel}/${p}`;
      if (this.pending.has(rel)) return true;
    }
    return false;
  }

  /** True when a file at `rel` or below it is still being written (before removing `rel`). */
  touchesPendingBelow(rel: string): boolean {
    if (this.pending.size === 0) return false;
    if (this.pending.has(rel)) return true;
    const prefix = `${rel}/`;
    for (const p of this.pending) if (p.startsWith(prefix)) return true;
    return false;
  }

  /** Queues one file (`rel` is its path in the layer); waits when too many batches are in flight. */
  async add(rel: string, job: SmallFileJob): Promise<void> {
    this.pending.add(rel);
    this.batch.push(job);
    this.batchPaths.push(rel);
    this.batchBytes += job.data.length;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flush();
    if (this.inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(this.inFlight);
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const jobs = this.batch;
    const paths = this.batchPaths;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchPaths = [];
    this.batchBytes = 0;
    const job: Promise<void> = fileWriterPool().write(jobs, dirname(jobs[0]!.path)).then(
      () => {
        this.bytes += bytes;
      },
      (e: unknown) => {
        this.failure ??= e;
      },
    ).finally(() => {
      this.inFlight.delete(job);
      for (const p of paths) this.pending.delete(p);
    });
    this.inFlight.add(job);
  }

  /** Writes what is queued and waits for every batch; rethrows the first failure. */
  async settle(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.check();
  }
}
