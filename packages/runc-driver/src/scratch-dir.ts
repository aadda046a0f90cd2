import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private temp directory, created on first use, for per-call files (runtime logs,
 * process specs, resources, pid files). `close()` removes it.
 */
export class ScratchDir {
  readonly #parent: string;
  #dir: Promise<string> | undefined;
  #counter = 0;

  constructor(parent: string = tmpdir()) {
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
