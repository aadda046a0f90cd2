import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ShimError } from '../errors.js';
import type { Logger } from '../interfaces/logger.js';
import type { OperationOptions } from '../interfaces/operation-options.js';
import type { StoredRecord } from '../interfaces/record-store.js';
import { NoopLogger } from '../runtime/noop-logger.js';
import { ATOMIC_TEMP_PREFIX, syncDir, writeFileAtomic, writeNewFile } from '@shimkit/image-store';
import { decodeJson, encodeJson } from './json-codec.js';
import { MemoryRecordStore } from './memory-record-store.js';

const FORMAT_VERSION = 1;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Options of {@link DiskRecordStore}. */
export interface DiskRecordStoreOptions {
  /** Directory holding one `<id>.json` per record (created if missing). */
  dir: string;
  /** What the records are, for messages. */
  kind: string;
  /** Told about unreadable files set aside at load. */
  logger?: Logger;
}

/**
 * Records in memory, each also written to `<dir>/<id>.json` before a write resolves: a new
 * record as a new file, fsynced with its directory; an update atomically (temp file, fsync,
 * rename), the rename durable with the file system's next journal commit, as containerd's
 * status files are. `load()` reads them back; a file that cannot be parsed (a new record torn
 * by a crash before its create was answered) is renamed to `<id>.json.corrupt` and reported to
 * the logger, and temp files of an interrupted write are removed.
 */
export class DiskRecordStore<T extends StoredRecord> extends MemoryRecordStore<T> {
  readonly #dir: string;
  readonly #kind: string;
  readonly #logger: Logger;

  constructor(options: DiskRecordStoreOptions) {
    super(options.kind);
    this.#dir = options.dir;
    this.#kind = options.kind;
    this.#logger = options.logger ?? new NoopLogger();
  }

  /** The directory records are kept in. */
  get dir(): string {
    return this.#dir;
  }

  protected override async persist(record: T, _options: OperationOptions, isNew: boolean): Promise<void> {
    const file = this.#file(record.id);
    const text = encodeJson({ version: FORMAT_VERSION, record });
    if (isNew) {
      // a file left by an earlier record of that id is replaced the careful way
      const made = await writeNewFile(file, (fh) => fh.writeFile(text, 'utf8'), { mode: 0o600, syncDir: true }).then(
        () => true,
        (e: unknown) => {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw e;
        },
      );
      if (made) return;
    }
    await writeFileAtomic(file, text, { mode: 0o600, syncDir: isNew });
  }

  protected override async unpersist(record: T): Promise<void> {
    try {
      await unlink(this.#file(record.id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await syncDir(this.#dir);
  }

  protected override async readAll(options: OperationOptions): Promise<T[]> {
    await mkdir(this.#dir, { recursive: true });
    const records: T[] = [];
    for (const entry of (await readdir(this.#dir)).sort()) {
      options.signal?.throwIfAborted();
      const path = join(this.#dir, entry);
      if (entry.startsWith(ATOMIC_TEMP_PREFIX)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      const text = await readFile(path, 'utf8');
      const record = this.#parse(text, entry.slice(0, -'.json'.length));
      if (typeof record === 'string') {
        await rename(path, `${path}.corrupt`);
        this.#logger.warn(`set aside unreadable ${this.#kind} state file`, { path: `${path}.corrupt`, problem: record });
        continue;
      }
      records.push(record);
    }
    return records;
  }

  #file(id: string): string {
    if (!ID_PATTERN.test(id)) throw new ShimError('InvalidArgument', `${this.#kind} id ${JSON.stringify(id)} cannot name a state file`);
    return join(this.#dir, `${id}.json`);
  }

  /** The record, or why the file is unusable. */
  #parse(text: string, id: string): T | string {
    let parsed: unknown;
    try {
      parsed = decodeJson(text);
    } catch (e) {
      return `not JSON: ${(e as Error).message}`;
    }
    if (parsed === null || typeof parsed !== 'object') return 'not an object';
    const { version, record } = parsed as { version?: unknown; record?: unknown };
    if (version !== FORMAT_VERSION) return `unknown format version ${JSON.stringify(version)}`;
    if (record === null || typeof record !== 'object') return 'no record';
    const { id: recordId, name } = record as { id?: unknown; name?: unknown };
    if (recordId !== id) return `record id ${JSON.stringify(recordId)} does not match the file name`;
    if (typeof name !== 'string' || name === '') return 'record has no name';
    return record as T;
  }
}
