import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProcCgroup, readCgroupStats, statsFromCgroupPaths } from './cgroup-stats.js';

describe('cgroup stats', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cgstats-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses /proc/<pid>/cgroup for v1 (hybrid) and v2', () => {
    const text = '12:pids:/a/b\n4:cpu,cpuacct:/a/b\n1:name=systemd:/a/b\n0::/a/b\n';
    const v1 = parseProcCgroup(text, { unifiedOnly: false, mountRoot: '/cg' });
    expect(v1.version).toBe(1);
    expect(v1.dirs['pids']).toBe('/cg/pids/a/b');
    expect(v1.dirs['cpuacct']).toBe('/cg/cpuacct/a/b');
    expect(v1.dirs['cpu,cpuacct!']).toBe('/cg/cpu,cpuacct/a/b');
    expect(parseProcCgroup(text, { unifiedOnly: true, mountRoot: '/cg' })).toEqual({ version: 2, dirs: { '': '/cg/a/b' } });
  });

  it('reads v1 files', async () => {
    const files: Record<string, Record<string, string>> = {
      memory: { 'memory.usage_in_bytes': '4096\n', 'memory.limit_in_bytes': '8192', 'memory.max_usage_in_bytes': '5000', 'memory.failcnt': '0', 'memory.stat': 'cache 10\nrss 20\n' },
      cpuacct: { 'cpuacct.usage': '123456', 'cpuacct.usage_percpu': '100000 23456 \n', 'cpuacct.stat': 'user 3\nsystem 1\n' },
      cpu: { 'cpu.stat': 'nr_periods 5\nnr_throttled 1\nthrottled_time 99\n' },
      pids: { 'pids.current': '2', 'pids.max': 'max' },
    };
    const dirs: Record<string, string> = {};
    for (const [controller, content] of Object.entries(files)) {
      dirs[controller] = join(dir, controller);
      await mkdir(dirs[controller] as string);
      for (const [f, v] of Object.entries(content)) await writeFile(join(dir, controller, f), v);
    }
    const stats = await statsFromCgroupPaths({ version: 1, dirs });
    expect(stats.memory).toMatchObject({ cache: 10, usage: { usage: 4096, limit: 8192, max: 5000, failcnt: 0 }, raw: { cache: 10, rss: 20 } });
    expect(stats.cpu).toEqual({ usage: { total: 123456, percpu: [100000, 23456], user: 3e7, kernel: 1e7 }, throttling: { periods: 5, throttledPeriods: 1, throttledTime: 99 } });
    expect(stats.pids).toEqual({ current: 2, limit: Number.MAX_SAFE_INTEGER });
  });

  it('reads v2 files', async () => {
    await writeFile(join(dir, 'cpu.stat'), 'usage_usec 10\nuser_usec 6\nsystem_usec 4\n');
    await writeFile(join(dir, 'memory.current'), '2048');
    await writeFile(join(dir, 'memory.max'), 'max');
    await writeFile(join(dir, 'pids.current'), '1');
    const stats = await statsFromCgroupPaths({ version: 2, dirs: { '': dir } });
    expect(stats.cpu?.usage).toEqual({ total: 10000, user: 6000, kernel: 4000 });
    expect(stats.memory?.usage).toEqual({ usage: 2048, limit: Number.MAX_SAFE_INTEGER });
    expect(stats.pids).toEqual({ current: 1 });
  });

  it('reads this process', async () => {
    const stats = await readCgroupStats(process.pid);
    expect(stats.pids?.current ?? stats.memory?.usage?.usage ?? 1).toBeGreaterThan(0);
  });
});
