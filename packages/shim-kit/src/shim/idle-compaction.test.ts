import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { connect } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../interfaces/logger.js';
import { createFakes } from '../testing/fakes.js';
import { Tokens } from '../tokens.js';
import { createShim } from './create-shim.js';
import { compactMemory, IdleCompaction, withActivity, type CompactionResult } from './idle-compaction.js';
import { memoryStoresModule, provide } from './modules.js';

const MiB = 1024 * 1024;

describe('compactMemory', () => {
  it('gives back the memory of dropped buffers, from V8 and from glibc heap space between live blocks', async () => {
    const kept: Buffer[] = [];
    let dropped: Buffer[] | undefined = [];
    for (let i = 0; i < 640; i++) (i % 16 === 0 ? kept : dropped).push(Buffer.alloc(64 * 1024, i));
    dropped = undefined;
    const result = await compactMemory();
    // ~37 MiB were dropped; freed by V8 alone, glibc would keep most of it resident
    expect(result.rssBefore - result.rssAfter).toBeGreaterThan(20 * MiB);
    expect(kept.every((b, i) => b[0] === (i * 16) % 256)).toBe(true);
  });
});

describe('IdleCompaction', () => {
  const IDLE_MS = 100;
  const recorder = () => {
    const results: CompactionResult[] = [];
    return { results, compaction: new IdleCompaction({ idleMs: IDLE_MS, onCompacted: (r) => results.push(r) }) };
  };

  it('compacts once the last call has been over for idleMs, never while one runs, once per busy period', async () => {
    const { results, compaction } = recorder();
    const endFirst = compaction.begin();
    const endSecond = compaction.begin();
    endFirst();
    await sleep(IDLE_MS * 3);
    expect(results).toHaveLength(0); // the second call still runs
    endSecond();
    endSecond(); // ending twice counts once
    await sleep(IDLE_MS * 5);
    expect(results).toHaveLength(1);
    await sleep(IDLE_MS * 3);
    expect(results).toHaveLength(1); // no new activity, no new compaction
    compaction.begin()();
    await sleep(IDLE_MS * 5);
    expect(results).toHaveLength(2);
    await compaction.close();
  });

  it('shrinks the young generation that a burst of short-lived objects grew (it stayed at 32 MiB in 2 runs of 3 without the collection halfway)', async () => {
    const youngGeneration = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
    const results: CompactionResult[] = [];
    // V8 measures the allocation rate over 5 s: each half of idleMs must be longer
    const compaction = new IdleCompaction({ idleMs: 11_000, onCompacted: (r) => results.push(r) });
    const end = compaction.begin();
    let garbage: object[] = [];
    const until = performance.now() + 2000;
    while (performance.now() < until || youngGeneration() < 16 * MiB) {
      for (let i = 0; i < 1000; i++) garbage.push({ i, s: `item ${i}` });
      if (garbage.length > 100_000) garbage = [];
    }
    garbage = [];
    end();
    await sleep(12_000);
    expect(results).toHaveLength(1);
    expect(results[0]!.youngGenerationAfter).toBeLessThanOrEqual(2 * MiB);
    expect(youngGeneration()).toBeLessThanOrEqual(2 * MiB);
    await compaction.close();
  }, 30_000);

  it('does not compact after close', async () => {
    const { results, compaction } = recorder();
    compaction.begin()();
    await compaction.close();
    await sleep(IDLE_MS * 3);
    expect(results).toHaveLength(0);
  });

  it('counts calls that change state, failed ones too, but not reads (kubelet lists every second)', async () => {
    const { results, compaction } = recorder();
    const handlers = withActivity({
      listContainers: async () => ({ containers: [] }),
      removeImage: async () => {
        throw new Error('no such image');
      },
    }, compaction);
    await handlers.listContainers();
    await sleep(IDLE_MS * 3);
    expect(results).toHaveLength(0);
    await expect(handlers.removeImage()).rejects.toThrow('no such image');
    await sleep(IDLE_MS * 5);
    expect(results).toHaveLength(1);
    await compaction.close();
  });
});

describe('createShim idle compaction', () => {
  async function shimLogging(dir: string, idleCompaction: { idleMs: number } | false) {
    const debug: string[] = [];
    // the compaction's own lines, and anything that went wrong (the CRI calls' debug lines are not its business)
    const logger: Logger = { debug: (m) => void (m.startsWith('CRI call') || debug.push(m)), info() {}, warn: (m) => debug.push(`warn: ${m}`), error: (m) => debug.push(`error: ${m}`) };
    const shim = await createShim({ socket: join(dir, 'cri.sock'), root: join(dir, 'root'), state: join(dir, 'state'), idleCompaction, modules: [...createFakes().modules, memoryStoresModule(), provide(Tokens.Logger, logger)] });
    return { shim, debug };
  }

  it('compacts after the start and after a call that changes state, and not at all when turned off', async () => {
    const dir = await mkdtemp(join(tmpdir(), `shimkit-compact-${process.pid}-`));
    try {
      const on = await shimLogging(join(dir, 'on'), { idleMs: 100 });
      const off = await shimLogging(join(dir, 'off'), false);
      await sleep(500);
      expect(on.debug).toEqual(['idle compaction']);
      const cri = await connect(`unix://${on.shim.socket}`);
      await cri.runtime.runPodSandbox({ config: { metadata: { name: 'p', namespace: 'n', uid: 'u' } } });
      await cri.close();
      await sleep(500);
      expect(on.debug).toEqual(['idle compaction', 'idle compaction']);
      await on.shim.close();
      await off.shim.close();
      expect(off.debug).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
