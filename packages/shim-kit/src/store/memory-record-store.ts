import { ShimError } from '../errors.js';
import type { OperationOptions } from '../interfaces/operation-options.js';
import type { RecordStore, StoredRecord } from '../interfaces/record-store.js';
import { decodeJson, encodeJson } from './json-codec.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// A frozen deep copy through the on-disk encoding: Buffers stay Buffers, memory and disk stores
// hold identical values, and nobody can change a stored record except through update().
const copy = <T>(record: T): T => deepFreeze(decodeJson(encodeJson(record)) as T);

/**
 * Records in memory only (lost on restart). Subclasses persist them by overriding
 * `persist`, `unpersist` and `readAll`.
 */
export class MemoryRecordStore<T extends StoredRecord> implements RecordStore<T> {
  readonly #records = new Map<string, T>();
  readonly #names = new Map<string, string>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #kind: string;

  /** @param kind what the records are, for messages (`sandbox`, `container`). */
  constructor(kind: string) {
    this.#kind = kind;
  }

  async load(options: OperationOptions = {}): Promise<void> {
    for (const record of await this.readAll(options)) {
      if (this.#records.has(record.id) || this.#names.has(record.name)) continue;
      this.#records.set(record.id, record);
      this.#names.set(record.name, record.id);
    }
  }

  get(id: string): T | undefined {
    return this.#records.get(id);
  }

  getByName(name: string): T | undefined {
    const id = this.#names.get(name);
    return id === undefined ? undefined : this.#records.get(id);
  }

  list(): T[] {
    return [...this.#records.values()];
  }

  reserveName(name: string, id: string): void {
    const holder = this.#names.get(name);
    if (holder !== undefined && holder !== id) {
      throw new ShimError('AlreadyExists', `${this.#kind} name "${name}" is already reserved for ${this.#kind} ${holder}`);
    }
    this.#names.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.#names.get(name) === id && this.#records.get(id)?.name !== name) this.#names.delete(name);
  }

  add(record: T, options: OperationOptions = {}): Promise<void> {
    try {
      if (this.#records.has(record.id)) throw new ShimError('AlreadyExists', `${this.#kind} ${record.id} already exists`);
      this.reserveName(record.name, record.id);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const stored = copy(record);
    // Visible at once so that concurrent adds of the same id fail; removed again if the write fails.
    this.#records.set(stored.id, stored);
    return this.#serialize(stored.id, async () => {
      try {
        await this.persist(stored, options, true);
      } catch (e) {
        this.#records.delete(stored.id);
        this.#names.delete(stored.name);
        throw e;
      }
    });
  }

  update(id: string, change: (current: T) => T, options: OperationOptions = {}): Promise<T> {
    return this.#serialize(id, async () => {
      const current = this.#records.get(id);
      if (current === undefined) throw new ShimError('NotFound', `${this.#kind} ${id} not found`);
      const next = copy(change(current));
      if (next.id !== id || next.name !== current.name) {
        throw new ShimError('InvalidArgument', `${this.#kind} ${id}: an update must not change id or name`);
      }
      await this.persist(next, options, false);
      this.#records.set(id, next);
      return next;
    });
  }

  delete(id: string, options: OperationOptions = {}): Promise<boolean> {
    return this.#serialize(id, async () => {
      const current = this.#records.get(id);
      if (current === undefined) return false;
      await this.unpersist(current, options);
      this.#records.delete(id);
      if (this.#names.get(current.name) === id) this.#names.delete(current.name);
      return true;
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
  }

  /** Makes a new (`isNew`) or changed record durable. */
  protected async persist(_record: T, _options: OperationOptions, _isNew: boolean): Promise<void> {}

  /** Forgets a deleted record durably. */
  protected async unpersist(_record: T, _options: OperationOptions): Promise<void> {}

  /** Records a previous run left. */
  protected async readAll(_options: OperationOptions): Promise<T[]> {
    return [];
  }

  #serialize<R>(id: string, work: () => Promise<R>): Promise<R> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#queues.set(id, settled);
    void settled.then(() => {
      if (this.#queues.get(id) === settled) this.#queues.delete(id);
    });
    return next;
  }
}
