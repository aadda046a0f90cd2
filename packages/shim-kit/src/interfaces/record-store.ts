import type { OperationOptions } from './operation-options.js';

/** What every stored record has: an id and a unique name (kubelet's name+namespace+uid+attempt). */
export interface StoredRecord {
  readonly id: string;
  readonly name: string;
}

/**
 * Records keyed by id with unique names. Reads answer from memory with frozen records (change
 * them through `update`); writes are durable
 * (for an on-disk store) before their promise resolves. Writes of one id apply in call order.
 */
export interface RecordStore<T extends StoredRecord> {
  /** Reads the records a previous run left (a no-op for an in-memory store). Call once, before use. */
  load(options?: OperationOptions): Promise<void>;
  get(id: string): T | undefined;
  getByName(name: string): T | undefined;
  list(): T[];
  /**
   * Holds a name for `id` while it is being created, so concurrent requests for the same name
   * fail at once. Throws `ShimError('AlreadyExists')` naming the holder.
   */
  reserveName(name: string, id: string): void;
  /** Frees a name reserved by `id` (no-op if `id` does not hold it, or holds it through a stored record). */
  releaseName(name: string, id: string): void;
  /** Stores a new record; `AlreadyExists` when the id exists or another id holds the name. */
  add(record: T, options?: OperationOptions): Promise<void>;
  /** Replaces a record with `change(current)`; `NotFound` for an unknown id. id and name must not change. */
  update(id: string, change: (current: T) => T, options?: OperationOptions): Promise<T>;
  /** Deletes a record and frees its name; false when it did not exist. */
  delete(id: string, options?: OperationOptions): Promise<boolean>;
  /** Waits for writes in flight. */
  close(): Promise<void>;
}
