import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordStoreConformance } from '../conformance/record-store-conformance.js';
import { exitContainerRecord, sampleContainer, sampleSandbox, stopSandboxRecord } from '../conformance/store-samples.js';
import { DiskContainerStore, DiskSandboxStore, MemoryContainerStore, MemorySandboxStore } from './stores.js';

function diskHarness<S extends DiskSandboxStore | DiskContainerStore>(make: (dir: string) => S) {
  let dir = '';
  return {
    async create() {
      dir = await mkdtemp(join(tmpdir(), `shimkit-store-${process.pid}-`));
      const store = make(dir);
      await store.load();
      return store;
    },
    async reopen() {
      const store = make(dir);
      await store.load();
      return store;
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

recordStoreConformance('in-memory sandbox store', {
  create: async () => new MemorySandboxStore(),
  sample: sampleSandbox,
  mutate: stopSandboxRecord,
});

recordStoreConformance('in-memory container store', {
  create: async () => new MemoryContainerStore(),
  sample: sampleContainer,
  mutate: exitContainerRecord,
});

recordStoreConformance('on-disk sandbox store', { ...diskHarness((d) => new DiskSandboxStore(d)), sample: sampleSandbox, mutate: stopSandboxRecord });

recordStoreConformance('on-disk container store', { ...diskHarness((d) => new DiskContainerStore(d)), sample: sampleContainer, mutate: exitContainerRecord });
