import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuncError } from './runc-error.js';
import type { ContainerStats, MemoryEntry } from './runc-types.js';

/** Where a process's cgroups are: v1 controller directories, or the v2 directory. */
export interface CgroupPaths {
  version: 1 | 2;
  /** v1: controller name -> directory; v2: `''` -> directory. */
  dirs: Record<string, string>;
}

/**
 * Parses /proc/<pid>/cgroup into directories under `mountRoot` (/sys/fs/cgroup). On a hybrid
 * host the v1 controllers win; the v2 line is used only on a pure v2 host.
 */
export function parseProcCgroup(text: string, options: { unifiedOnly: boolean; mountRoot?: string }): CgroupPaths {
  const root = options.mountRoot ?? '/sys/fs/cgroup';
  const dirs: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, hierarchy, controllers = '', path = '/'] = m;
    if (options.unifiedOnly) {
      if (hierarchy === '0' && controllers === '') return { version: 2, dirs: { '': join(root, path) } };
      continue;
    }
    for (const controller of controllers.split(',')) {
      if (controller === '' || controller.startsWith('name=')) continue;
      // co-mounted controllers live in a directory named after the whole list (cpu,cpuacct)
      dirs[controller] = join(root, controller, path);
      dirs[`${controllers}!`] = join(root, controllers, path);
    }
  }
  return { version: 1, dirs };
}

async function text(dir: string | undefined, file: string): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  try {
    return (await readFile(join(dir, file), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function num(dir: string | undefined, file: string): Promise<number | undefined> {
  const t = await text(dir, file);
  if (t === undefined || t === '') return undefined;
  if (t === 'max') return Number.MAX_SAFE_INTEGER;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

async function keyed(dir: string | undefined, file: string): Promise<Record<string, number> | undefined> {
  const t = await text(dir, file);
  if (t === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const line of t.split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

function entry(values: Partial<MemoryEntry>): MemoryEntry | undefined {
  const e: MemoryEntry = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) e[k as keyof MemoryEntry] = v;
  return Object.keys(e).length > 0 ? e : undefined;
}

function prune<T extends object>(value: T): T | undefined {
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
  return Object.keys(out).length > 0 ? (out as T) : undefined;
}

// cpuacct.stat counts USER_HZ ticks (100 per second on Linux)
const NS_PER_TICK = 1e9 / 100;

async function v1Stats(dirs: Record<string, string>): Promise<ContainerStats> {
  const memory = dirs['memory'];
  const cpuacct = (await text(dirs['cpuacct'], 'cpuacct.usage')) !== undefined ? dirs['cpuacct'] : dirs['cpu,cpuacct!'];
  const cpu = (await text(dirs['cpu'], 'cpu.stat')) !== undefined ? dirs['cpu'] : dirs['cpu,cpuacct!'];
  const pids = dirs['pids'];
  const [rawMemory, cpuStat, acctStat, percpu] = await Promise.all([
    keyed(memory, 'memory.stat'),
    keyed(cpu, 'cpu.stat'),
    keyed(cpuacct, 'cpuacct.stat'),
    text(cpuacct, 'cpuacct.usage_percpu'),
  ]);
  const m = (f: string): Promise<number | undefined> => num(memory, f);
  const stats: ContainerStats = {
    cpu: prune({
      usage: prune({
        total: await num(cpuacct, 'cpuacct.usage'),
        percpu: percpu?.split(/\s+/).filter((s) => s !== '').map(Number),
        user: acctStat?.['user'] === undefined ? undefined : acctStat['user'] * NS_PER_TICK,
        kernel: acctStat?.['system'] === undefined ? undefined : acctStat['system'] * NS_PER_TICK,
      }),
      throttling: prune({ periods: cpuStat?.['nr_periods'], throttledPeriods: cpuStat?.['nr_throttled'], throttledTime: cpuStat?.['throttled_time'] }),
    }),
    memory: prune({
      cache: rawMemory?.['cache'],
      usage: entry({ usage: await m('memory.usage_in_bytes'), max: await m('memory.max_usage_in_bytes'), limit: await m('memory.limit_in_bytes'), failcnt: await m('memory.failcnt') }),
      swap: entry({ usage: await m('memory.memsw.usage_in_bytes'), max: await m('memory.memsw.max_usage_in_bytes'), limit: await m('memory.memsw.limit_in_bytes'), failcnt: await m('memory.memsw.failcnt') }),
      kernel: entry({ usage: await m('memory.kmem.usage_in_bytes'), max: await m('memory.kmem.max_usage_in_bytes'), limit: await m('memory.kmem.limit_in_bytes'), failcnt: await m('memory.kmem.failcnt') }),
      raw: rawMemory,
    }),
    pids: prune({ current: await num(pids, 'pids.current'), limit: await num(pids, 'pids.max') }),
  };
  return prune(stats) ?? {};
}

async function v2Stats(dir: string): Promise<ContainerStats> {
  const [cpuStat, rawMemory] = await Promise.all([keyed(dir, 'cpu.stat'), keyed(dir, 'memory.stat')]);
  const us = (k: string): number | undefined => (cpuStat?.[k] === undefined ? undefined : cpuStat[k] * 1000);
  const stats: ContainerStats = {
    cpu: prune({
      usage: prune({ total: us('usage_usec'), user: us('user_usec'), kernel: us('system_usec') }),
      throttling: prune({ periods: cpuStat?.['nr_periods'], throttledPeriods: cpuStat?.['nr_throttled'], throttledTime: us('throttled_usec') }),
    }),
    memory: prune({
      cache: rawMemory?.['file'],
      usage: entry({ usage: await num(dir, 'memory.current'), max: await num(dir, 'memory.peak'), limit: await num(dir, 'memory.max') }),
      swap: entry({ usage: await num(dir, 'memory.swap.current'), limit: await num(dir, 'memory.swap.max') }),
      raw: rawMemory,
    }),
    pids: prune({ current: await num(dir, 'pids.current'), limit: await num(dir, 'pids.max') }),
  };
  return prune(stats) ?? {};
}

/** Reads cgroup statistics from a directory layout (see {@link parseProcCgroup}). */
export async function statsFromCgroupPaths(paths: CgroupPaths): Promise<ContainerStats> {
  if (paths.version === 2) return v2Stats(paths.dirs[''] ?? '');
  return v1Stats(paths.dirs);
}

/**
 * Container statistics read straight from the cgroup files of process `pid` (the runc
 * `events --stats` fields), for runtimes without `events` such as crun 1.8.
 */
export async function readCgroupStats(pid: number): Promise<ContainerStats> {
  let procCgroup: string;
  try {
    procCgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch (err) {
    throw new RuncError('NOT_FOUND', `cgroup stats: process ${pid} is gone`, { cause: err });
  }
  const unifiedOnly = await access('/sys/fs/cgroup/cgroup.controllers').then(
    () => true,
    () => false,
  );
  return statsFromCgroupPaths(parseProcCgroup(procCgroup, { unifiedOnly }));
}
