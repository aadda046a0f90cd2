import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import type { Digest } from '@shimkit/oci-spec';
import { writeFileAtomic } from '../content/atomic-write.js';
import { ImageStoreError } from '../errors.js';
import type { ImageRecord } from './image-record.js';

/**
 * The image index (`images.json`) of a store shared by processes, kept in memory. Writers
 * never change the file in place: they write a new one and rename it in, under the store lock.
 * So the inode number names one version of the content, and as this object keeps the version
 * it read open, that number cannot be reused for a later version. {@link refresh} therefore
 * costs one stat and rereads only when the inode changed: lists stay answered from memory while
 * another process's writes show at once, with no lock for readers.
 */
export class ImageIndex {
  readonly images = new Map<Digest, ImageRecord>();
  #fd: number | undefined;
  #ino: bigint | undefined;

  constructor(readonly path: string) {}

  /** Rereads the file when another process replaced it since this one last read or wrote it. */
  refresh(): void {
    const st = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) {
      if (this.#ino !== undefined) this.#adopt(undefined, []);
      return;
    }
    if (st.ino === this.#ino) return;
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      // Replaced again between the stat and the open: the next refresh reads the newer one.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ImageStoreError('STORE_IO', `cannot read image metadata ${this.path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const text = readFileSync(fd, 'utf8');
      const records = (JSON.parse(text) as { images: ImageRecord[] }).images;
      this.#adopt(fd, records);
    } catch (e) {
      closeSync(fd);
      throw new ImageStoreError('STORE_IO', `image metadata ${this.path} is corrupt: ${(e as Error).message}`, { cause: e });
    }
  }

  #adopt(fd: number | undefined, records: readonly ImageRecord[]): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = fd;
    this.#ino = fd === undefined ? undefined : fstatSync(fd, { bigint: true }).ino;
    this.images.clear();
    for (const record of records) this.images.set(record.id, record);
  }

  /** Writes the in-memory index; call it holding the store lock, after a refresh. */
  async save(): Promise<void> {
    const records = [...this.images.values()];
    await writeFileAtomic(this.path, JSON.stringify({ images: records }));
    // Under the lock no one else replaces it, so the file now there is the one just written.
    this.#adopt(openSync(this.path, 'r'), records);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#ino = undefined;
  }
}
