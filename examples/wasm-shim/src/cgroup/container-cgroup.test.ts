import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isShimError } from 'shimkit';
import { afterAll, expect, it } from 'vitest';
import { ContainerCgroup } from './container-cgroup.js';

const parent = `/wasm-cgroup-test-${process.pid}-${randomBytes(2).toString('hex')}`;

afterAll(async () => {
  for (const controller of await readdir('/sys/fs/cgroup')) await rmdir(join('/sys/fs/cgroup', controller, parent)).catch(() => undefined);
});

it('makes the cgroup with the limits, reads usage of what joins it, and removes it once empty', async () => {
  const cgroup = await ContainerCgroup.at(`${parent}/c1`);
  await cgroup.create({ memory: { limit: 32 * 1024 * 1024 }, cpu: { shares: 256, quota: 20_000, period: 100_000 }, pids: { limit: 16 } });
  const file = (controller: string, name: string) => readFile(join('/sys/fs/cgroup', controller, parent, 'c1', name), 'utf8').then((t) => t.trim());
  expect(await file('memory', 'memory.limit_in_bytes')).toBe(String(32 * 1024 * 1024));
  expect(await file('memory', 'memory.memsw.limit_in_bytes')).toBe(String(32 * 1024 * 1024));
  expect([await file('cpu', 'cpu.shares'), await file('cpu', 'cpu.cfs_quota_us'), await file('cpu', 'cpu.cfs_period_us')]).toEqual(['256', '20000', '100000']);
  expect(await file('pids', 'pids.max')).toBe('16');

  const busy = spawn(fileURLToPath(new URL('./busy-after-go.fixture.sh', import.meta.url)), { stdio: ['pipe', 'ignore', 'ignore'] });
  await once(busy, 'spawn');
  try {
    for (const dir of cgroup.dirs) await writeFile(join(dir, 'cgroup.procs'), String(busy.pid));
    busy.stdin?.write('go\n');
    await new Promise((r) => setTimeout(r, 500));
    const usage = await cgroup.usage();
    expect(usage.cpuNanoSeconds).toBeGreaterThan(0n);
    expect(usage.memoryUsageBytes).toBeGreaterThan(0n);
    expect(await cgroup.oomKilled()).toBe(false);
    await expect(cgroup.remove()).rejects.toSatisfy((e: unknown) => isShimError(e, 'Internal') && /removing cgroup/.test((e as Error).message));
    await cgroup.update({ memory: { limit: 64 * 1024 * 1024 } });
    expect(await file('memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    await cgroup.update({ memory: { limit: 24 * 1024 * 1024 } });
    expect([await file('memory', 'memory.limit_in_bytes'), await file('memory', 'memory.memsw.limit_in_bytes')]).toEqual([String(24 * 1024 * 1024), String(24 * 1024 * 1024)]);
  } finally {
    busy.kill('SIGKILL');
    await once(busy, 'exit');
  }
  await cgroup.remove();
  await cgroup.remove(); // idempotent
  expect(await readdir(join('/sys/fs/cgroup/memory', parent))).not.toContain('c1');
});

it('refuses a systemd-style or escaping cgroups path, and a limit the kernel rejects', async () => {
  await expect(ContainerCgroup.at('kubepods.slice:shimkit:abc')).rejects.toSatisfy((e: unknown) => isShimError(e, 'InvalidArgument') && /cgroupfs path/.test((e as Error).message));
  await expect(ContainerCgroup.at(`${parent}/../../escape`)).rejects.toSatisfy((e: unknown) => isShimError(e, 'InvalidArgument'));
  const cgroup = await ContainerCgroup.at(`${parent}/c2`);
  try {
    await expect(cgroup.create({ cpu: { quota: 500, period: 100 } })).rejects.toSatisfy((e: unknown) => isShimError(e, 'InvalidArgument') && /cpu\.cfs_period_us/.test((e as Error).message));
  } finally {
    await cgroup.remove();
  }
});
