import type { Worker } from 'node:worker_threads';
import type * as WorkerThreads from 'node:worker_threads';
import { ImageStoreError } from '../errors.js';
import { loadOnUse } from '../load-on-use.js';

// loaded with the first thread: a Worker class loaded into the shimkit CLI's startup snapshot
// cannot start threads after it is deserialized (Node 20)
const workerThreads = loadOnUse<typeof WorkerThreads>('node:worker_threads');

/** One small file for the writer thread to create. */
export interface SmallFileJob {
  path: string;
  /** Must be the sole view of its own ArrayBuffer: it is transferred to the writer thread. */
  data: Uint8Array;
  /** Permission bits to create the file with. */
  createMode: number;
  /** Set with fchmod after writing (set-id bits, or bits the umask would drop). */
  chmod?: number;
  chown?: { uid: number; gid: number };
  mtime: number;
}

/*
 * Creating many small files is bound by syscalls. A worker thread makes them
 * with plain synchronous calls, a batch per message, while the main thread
 * keeps reading and decompressing the layer. Plain JavaScript, evaluated, so
 * it runs the same from sources and from the build; it gets its modules from
 * process.getBuiltinModule, which works whether it is run as CommonJS or ESM.
 */
const WORKER_SOURCE = `
const { parentPort } = process.getBuiltinModule('node:worker_threads');
const fs = process.getBuiltinModule('node:fs');
const C = fs.constants;
parentPort.on('message', ({ id, jobs }) => {
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i];
    let fd;
    try {
      fd = fs.openSync(j.path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, j.createMode);
      let written = 0;
      while (written < j.data.length) written += fs.writeSync(fd, j.data, written, j.data.length - written);
      if (j.chown) fs.fchownSync(fd, j.chown.uid, j.chown.gid);
      if (j.chmod !== undefined) fs.fchmodSync(fd, j.chmod);
      fs.futimesSync(fd, j.mtime, j.mtime);
    } catch (e) {
      if (fd !== undefined) try { fs.closeSync(fd); } catch {}
      parentPort.postMessage({ id, failed: { index: i, path: j.path, code: e.code, message: e.message } });
      return;
    }
    fs.closeSync(fd);
  }
  parentPort.postMessage({ id });
});
`;

interface Reply {
  id: number;
  failed?: { index: number; path: string; code?: string; message: string };
}

/**
 * A small pool of writer threads shared by every layer being applied in this process. Threads
 * that had nothing to do for `idleMs` end (each holds about 10 MiB); the next batch starts them
 * again (tens of milliseconds).
 */
export class FileWriterPool {
  private workers: Worker[] = [];
  private next = 0;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void; worker: Worker; key?: string }>();
  /** The thread that has a key's batches, while it has any. */
  private readonly keyed = new Map<string, { worker: Worker; batches: number }>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly size: number, private readonly idleMs = 10_000) {}

  /** Threads running now. */
  get threads(): number {
    return this.workers.length;
  }

  private worker(): Worker {
    if (this.workers.length < this.size) {
      const w = new (workerThreads().Worker)(WORKER_SOURCE, { eval: true, execArgv: [] });
      w.on('message', (reply: Reply) => this.settle(reply));
      w.on('error', (e) => this.fail(w, e));
      w.on('exit', (code) => this.fail(w, new Error(`file writer thread exited with code ${code}`)));
      w.unref();
      this.workers.push(w);
      return w;
    }
    const w = this.workers[this.next % this.workers.length]!;
    this.next++;
    return w;
  }

  private settle(reply: Reply): void {
    const entry = this.waiting.get(reply.id);
    if (entry === undefined) return;
    this.waiting.delete(reply.id);
    this.release(entry.key);
    this.refresh(entry.worker);
    if (this.waiting.size === 0) this.endWhenIdle();
    if (reply.failed === undefined) return entry.resolve();
    const err = new ImageStoreError('LAYER_APPLY_FAILED', `writing ${reply.failed.path}: ${reply.failed.message}`, {
      cause: Object.assign(new Error(reply.failed.message), { code: reply.failed.code }),
    });
    entry.reject(err);
  }

  private fail(worker: Worker, error: Error): void {
    this.workers = this.workers.filter((w) => w !== worker);
    for (const [id, entry] of this.waiting) {
      if (entry.worker !== worker) continue;
      this.waiting.delete(id);
      this.release(entry.key);
      entry.reject(new ImageStoreError('LAYER_APPLY_FAILED', `file writer thread failed: ${error.message}`, { cause: error }));
    }
  }

  private release(key: string | undefined): void {
    const held = key === undefined ? undefined : this.keyed.get(key);
    if (held !== undefined && --held.batches === 0) this.keyed.delete(key!);
  }

  private endWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const idle = this.workers;
      this.workers = [];
      for (const w of idle) void w.terminate();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Keeps the process alive only while a thread has work. */
  private refresh(worker: Worker): void {
    const busy = [...this.waiting.values()].some((e) => e.worker === worker);
    if (busy) worker.ref();
    else worker.unref();
  }

  /**
   * Creates the files of one batch, in order; rejects with the first failure. Batches with the
   * same `key` (their directory) go to one thread while it has any of them: threads creating
   * files in the same directory at once contend for it in the kernel, and cost more CPU than
   * one thread doing both.
   */
  write(jobs: SmallFileJob[], key?: string): Promise<void> {
    clearTimeout(this.idleTimer);
    const held = key === undefined ? undefined : this.keyed.get(key);
    const worker = held?.worker ?? this.worker();
    if (held !== undefined) held.batches++;
    else if (key !== undefined) this.keyed.set(key, { worker, batches: 1 });
    const id = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker, key });
      worker.ref();
      // Each job's data owns its whole ArrayBuffer (see SmallFileJob), so it can be moved, not copied.
      worker.postMessage({ id, jobs }, jobs.map((j) => j.data.buffer as ArrayBuffer));
    });
  }
}

let shared: FileWriterPool | undefined;

/** The process-wide writer pool (created on first use). */
export function fileWriterPool(): Pick<FileWriterPool, 'write'> {
  shared ??= new FileWriterPool(2);
  return shared;
}
