import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runc } from '../src/index.js';
import { cleanupRuntime, createBundle, createRuntime, createTestBed, waitFor, type TestBed } from './fixtures.js';

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

/**
 * Live host pids whose cgroup path contains `marker`. Zombies are skipped: a container init
 * orphaned by `runc create` is reaped by the host's pid 1 (under conmon, by conmon), not by us.
 */
async function processesIn(marker: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const hits = await Promise.all(
    pids.map(async (pid) => {
      const [cgroup, stat] = await Promise.all([readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')]);
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return cgroup.includes(marker) && state !== 'Z' && state !== '' ? Number(pid) : undefined;
    }),
  );
  return hits.filter((p): p is number => p !== undefined);
}

describe('concurrency', () => {
  let bed: TestBed;
  let runc: Runc;

  beforeAll(async () => {
    bed = await createTestBed('conc');
    runc = await createRuntime(bed, 'runc');
  });
  afterEach(async () => {
    const left = await runc.list().catch(() => []);
    await Promise.all(left.map((c) => runc.delete(c.id, { force: true }).catch(() => undefined)));
  });
  afterAll(async () => {
    await cleanupRuntime(runc);
    await bed?.close();
  });

  it('runs two parallel batches of 20 lifecycles and leaves nothing behind', async () => {
    // warm up lazily opened resources (temp dir, child_process internals) before counting fds
    await runc.list();
    const fdsBefore = await openFds();

    const lifecycle = async (batch: number, i: number): Promise<void> => {
      const id = bed.id(`b${batch}-${i}`);
      const bundle = await createBundle(bed, id, { args: ['sleep', '60'] });
      const { pid } = await runc.create(id, { bundle });
      await runc.start(id);
      expect((await runc.state(id)).pid).toBe(pid);
      await runc.kill(id, 'SIGKILL');
      await waitFor(async () => ((await runc.state(id)).status === 'stopped' ? true : undefined), 10_000, `${id} stopped`);
      await runc.delete(id);
    };
    const batch = async (b: number): Promise<void> => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => lifecycle(b, i)));
    };
    await Promise.all([batch(1), batch(2)]);

    expect(await runc.list()).toEqual([]);
    // a SIGKILLed process may take a moment to leave the process table
    await waitFor(async () => ((await processesIn(bed.cgroupParent)).length === 0 ? true : undefined), 5000, 'container processes gone');
    const cgroupChildren = await readdir(join('/sys/fs/cgroup/memory', bed.cgroupParent), { withFileTypes: true }).catch(() => []);
    expect(cgroupChildren.filter((d) => d.isDirectory()).map((d) => d.name)).toEqual([]);
    // other users of this machine mount things concurrently: only look for ours
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
    expect(mounts.filter((m) => m.includes(bed.dir) || (runc.root !== undefined && m.includes(runc.root)))).toEqual([]);
    expect(await openFds()).toBe(fdsBefore);
    const scratch = (await readdir(bed.dir)).filter((n) => n.startsWith('shimkit-runc-'));
    for (const dir of scratch) expect(await readdir(join(bed.dir, dir))).toEqual([]);
  });
});
