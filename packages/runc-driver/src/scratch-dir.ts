import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every runtime call writes and removes a log file (and create a pid file): on a disk-backed
 * /tmp that is journaled metadata work per call, so prefer the tmpfs at /dev/shm.
 */
function defaultParent(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // not there or not writable
  }
  return tmpdir();
}

/**
 * A private temp directory, created on first use, for per-call files (runtime logs,
 * process specs, resources, pid files). `close()` removes it.
 */
export class ScratchDir {
  readonly #parent: string;
  #dir: Promise<string> | undefined;
  #counter = 0;

  constructor(parent: string = defaultParent()) {
    this.#parent = parent;
  }

  /** A fresh path inside the directory (the file itself is not created). */
  async path(suffix: string): Promise<string> {
    this.#dir ??= mkdtemp(join(this.#parent, `shimkit-runc-${process.pid}-`));
    const dir = await this.#dir;
    this.#counter += 1;
    return join(dir, `${this.#counter}.${suffix}`);
  }

  /** Removes the directory and everything in it. */
  async close(): Promise<void> {
    const pending = this.#dir;
    this.#dir = undefined;
    if (pending) await rm(await pending, { recursive: true, force: true });
  }
}
