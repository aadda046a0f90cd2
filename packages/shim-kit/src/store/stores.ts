import type { ContainerRecord } from '../interfaces/container-record.js';
import type { Logger } from '../interfaces/logger.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import { DiskRecordStore } from './disk-record-store.js';
import { MemoryRecordStore } from './memory-record-store.js';

/** Sandboxes in memory only. */
export class MemorySandboxStore extends MemoryRecordStore<SandboxRecord> {
  constructor() {
    super('sandbox');
  }
}

/** Sandboxes in memory and under `dir` (one JSON file each). */
export class DiskSandboxStore extends DiskRecordStore<SandboxRecord> {
  constructor(dir: string, options: { logger?: Logger } = {}) {
    super({ dir, kind: 'sandbox', ...options });
  }
}

/** Containers in memory only. */
export class MemoryContainerStore extends MemoryRecordStore<ContainerRecord> {
  constructor() {
    super('container');
  }
}

/** Containers in memory and under `dir` (one JSON file each). */
export class DiskContainerStore extends DiskRecordStore<ContainerRecord> {
  constructor(dir: string, options: { logger?: Logger } = {}) {
    super({ dir, kind: 'container', ...options });
  }
}
