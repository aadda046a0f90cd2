import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isShimError } from '../errors.js';
import type { RecordStore, StoredRecord } from '../interfaces/record-store.js';

/** What a conformance run needs from the store under test. */
export interface RecordStoreHarness<T extends StoredRecord> {
  /** A new, empty, loaded store. */
  create(): Promise<RecordStore<T>>;
  /**
   * A second store over the same persistent state (after the first was closed), loaded;
   * omit for stores that keep nothing across restarts.
   */
  reopen?(): Promise<RecordStore<T>>;
  /** A valid record with this id and name. */
  sample(id: string, name: string): T;
  /** Changes a record in a way that must survive a reload (e.g. its state). */
  mutate(record: T): T;
  /** Removes what `create` made. */
  cleanup?(): Promise<void>;
}

const code = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (e) {
    return isShimError(e) ? e.code : `not a ShimError: ${String(e)}`;
  }
};

/**
 * The behaviour every {@link RecordStore} must have (ids, unique names, reservations, ordered
 * writes, persistence when `reopen` is given). Call inside a test file:
 * `recordStoreConformance('disk sandbox store', harness)`.
 */
export function recordStoreConformance<T extends StoredRecord>(name: string, harness: RecordStoreHarness<T>): void {
  describe(`RecordStore conformance: ${name}`, () => {
    let store: RecordStore<T>;
    beforeEach(async () => {
      store = await harness.create();
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup?.();
    });

    it('adds, gets by id and by name, lists, deletes', async () => {
      await store.add(harness.sample('a1', 'alpha'));
      await store.add(harness.sample('b2', 'beta'));
      expect(store.get('a1')?.name).toBe('alpha');
      expect(store.getByName('beta')?.id).toBe('b2');
      expect(store.list().map((r) => r.id).sort()).toEqual(['a1', 'b2']);
      expect(await store.delete('a1')).toBe(true);
      expect(await store.delete('a1')).toBe(false);
      expect(store.get('a1')).toBeUndefined();
      expect(store.getByName('alpha')).toBeUndefined();
    });

    it('refuses a duplicate id or name with AlreadyExists', async () => {
      await store.add(harness.sample('a1', 'alpha'));
      expect(await code(store.add(harness.sample('a1', 'other')))).toBe('AlreadyExists');
      expect(await code(store.add(harness.sample('c3', 'alpha')))).toBe('AlreadyExists');
      expect(store.list()).toHaveLength(1);
    });

    it('lets a name be reused after delete', async () => {
      await store.add(harness.sample('a1', 'alpha'));
      await store.delete('a1');
      await store.add(harness.sample('a2', 'alpha'));
      expect(store.getByName('alpha')?.id).toBe('a2');
    });

    it('reserves names: a second reservation fails, release frees it, add by the holder succeeds', async () => {
      store.reserveName('alpha', 'a1');
      expect(() => store.reserveName('alpha', 'x9')).toThrow(expect.objectContaining({ code: 'AlreadyExists' }));
      expect(await code(store.add(harness.sample('x9', 'alpha')))).toBe('AlreadyExists');
      await store.add(harness.sample('a1', 'alpha'));
      store.releaseName('alpha', 'a1'); // held by a stored record now: stays
      expect(() => store.reserveName('alpha', 'x9')).toThrow();
      store.reserveName('gamma', 'g1');
      store.releaseName('gamma', 'g1');
      store.reserveName('gamma', 'g2');
    });

    it('updates with NotFound for unknown ids, refuses id or name changes, and applies writes in order', async () => {
      expect(await code(store.update('nope', (r) => r))).toBe('NotFound');
      await store.add(harness.sample('a1', 'alpha'));
      expect(await code(store.update('a1', (r) => ({ ...r, name: 'renamed' })))).toBe('InvalidArgument');
      const changed = await Promise.all([1, 2, 3].map(() => store.update('a1', (r) => harness.mutate(r))));
      expect(changed).toHaveLength(3);
      expect(store.get('a1')).toEqual(changed[2]);
    });

    it('keeps stored records apart from the caller’s objects', async () => {
      const record = harness.sample('a1', 'alpha');
      await store.add(record);
      (record as { name: string }).name = 'mutated-by-caller';
      expect(store.get('a1')?.name).toBe('alpha');
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen.bind(harness);
      it('reloads records, changes and deletes after a restart', async () => {
        await store.add(harness.sample('a1', 'alpha'));
        await store.add(harness.sample('b2', 'beta'));
        await store.add(harness.sample('c3', 'gamma'));
        const changed = await store.update('b2', (r) => harness.mutate(r));
        await store.delete('c3');
        await store.close();
        store = await reopen();
        expect(store.list().map((r) => r.id).sort()).toEqual(['a1', 'b2']);
        expect(store.get('b2')).toEqual(changed);
        expect(store.get('a1')).toEqual(harness.sample('a1', 'alpha'));
        expect(await code(store.add(harness.sample('z9', 'alpha')))).toBe('AlreadyExists');
      });
    }
  });
}
