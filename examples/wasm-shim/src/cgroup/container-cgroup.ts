import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resources } from '@shimkit/oci-spec';
import { ShimError } from 'shimkit';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** The v1 controllers a wasm container is placed in (limits and stats). */
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'] as const;

/** Resource usage read from a container's cgroup; fields the cgroup does not have are missing. */
export interface CgroupUsage {
  cpuNanoSeconds?: bigint;
  memoryUsageBytes?: bigint;
  memoryWorkingSetBytes?: bigint;
  memoryRssBytes?: bigint;
  pageFaults?: bigint;
  majorPageFaults?: bigint;
}

/**
 * The cgroup of one wasm container, under the pod's cgroup parent (the cgroupfs driver: the
 * spec's `linux.cgroupsPath`): made with its limits before the runner joins it, read for stats and
 * the OOM kill count, removed with the container. cgroup v1 (one directory per controller) and v2.
 */
export class ContainerCgroup {
  /** Directories the runner writes its pid to (`cgroup.procs`), one per hierarchy. */
  readonly dirs: readonly string[];
  readonly #v2: boolean;
  readonly #byController: Record<string, string>;

  private constructor(v2: boolean, byController: Record<string, string>, dirs: string[]) {
    this.#v2 = v2;
    this.#byController = byController;
    this.dirs = dirs;
  }

  /** The cgroup at `cgroupsPath` (not made yet). */
  static async at(cgroupsPath: string): Promise<ContainerCgroup> {
    if (!cgroupsPath.startsWith('/') || cgroupsPath.includes(':') || cgroupsPath.split('/').includes('..')) {
      throw new ShimError('InvalidArgument', `cgroupsPath ${JSON.stringify(cgroupsPath)}: the wasm backend takes a cgroupfs path (/parent/name)`);
    }
    if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) {
      const dir = join(CGROUP_ROOT, cgroupsPath);
      return new ContainerCgroup(true, { '': dir }, [dir]);
    }
    const byController: Record<string, string> = {};
    const dirs = new Set<string>();
    for (const controller of V1_CONTROLLERS) {
      // co-mounted controllers (cpu,cpuacct) share one hierarchy: join it once
      const mount = await realpath(join(CGROUP_ROOT, controller));
      byController[controller] = join(mount, cgroupsPath);
      dirs.add(join(mount, cgroupsPath));
    }
    return new ContainerCgroup(false, byController, [...dirs]);
  }

  /** Makes the directories (and missing parents) and writes the limits. */
  async create(resources: Resources | undefined): Promise<void> {
    for (const dir of this.dirs) await mkdir(dir, { recursive: true });
    await this.update(resources);
  }

  /** Writes the spec's memory, CPU and pids limits (what is not given stays as it is). */
  async update(resources: Resources | undefined): Promise<void> {
    const memory = resources?.memory;
    const cpu = resources?.cpu;
    const pids = resources?.pids;
    if (this.#v2) {
      if (memory?.limit !== undefined && memory.limit > 0) await this.#write('', 'memory.max', memory.limit);
      if (memory?.swap !== undefined && memory.limit !== undefined && memory.swap > 0 && memory.limit > 0) await this.#write('', 'memory.swap.max', Math.max(0, memory.swap - memory.limit));
      if (cpu?.shares !== undefined && cpu.shares > 0) await this.#write('', 'cpu.weight', 1 + Math.floor(((cpu.shares - 2) * 9999) / 262142));
      if (cpu?.quota !== undefined && cpu.quota > 0) await this.#write('', 'cpu.max', `${cpu.quota} ${cpu.period ?? 100000}`);
      if (pids?.limit !== undefined && pids.limit > 0) await this.#write('', 'pids.max', pids.limit);
      return;
    }
    if (memory?.limit !== undefined && memory.limit > 0) {
      // without swap accounting for it, the module could swap instead of reaching the limit
      const swap = memory.swap !== undefined && memory.swap >= memory.limit ? memory.swap : memory.limit;
      if (!existsSync(join(this.#byController['memory']!, 'memory.memsw.limit_in_bytes'))) {
        await this.#write('memory', 'memory.limit_in_bytes', memory.limit);
      } else if (swap >= Number((await this.#number('memory', 'memory.limit_in_bytes')) ?? 0n)) {
        // the kernel keeps memsw >= limit at every step: raise memsw first, lower it last
        await this.#write('memory', 'memory.memsw.limit_in_bytes', swap);
        await this.#write('memory', 'memory.limit_in_bytes', memory.limit);
      } else {
        await this.#write('memory', 'memory.limit_in_bytes', memory.limit);
        await this.#write('memory', 'memory.memsw.limit_in_bytes', swap);
      }
    }
    if (cpu?.shares !== undefined && cpu.shares > 0) await this.#write('cpu', 'cpu.shares', cpu.shares);
    if (cpu?.period !== undefined && cpu.period > 0) await this.#write('cpu', 'cpu.cfs_period_us', cpu.period);
    if (cpu?.quota !== undefined && cpu.quota !== 0) await this.#write('cpu', 'cpu.cfs_quota_us', cpu.quota);
    if (pids?.limit !== undefined && pids.limit > 0) await this.#write('pids', 'pids.max', pids.limit);
  }

  /** Whether the kernel's OOM killer killed a process of this cgroup. */
  async oomKilled(): Promise<boolean> {
    const text = this.#v2 ? await this.#read('', 'memory.events') : await this.#read('memory', 'memory.oom_control');
    const count = /^oom_kill (\d+)$/m.exec(text ?? '')?.[1];
    return count !== undefined && Number(count) > 0;
  }

  async usage(): Promise<CgroupUsage> {
    const usage: CgroupUsage = {};
    const stat = keyed(this.#v2 ? await this.#read('', 'memory.stat') : await this.#read('memory', 'memory.stat'));
    if (this.#v2) {
      const cpu = keyed(await this.#read('', 'cpu.stat'));
      if (cpu['usage_usec'] !== undefined) usage.cpuNanoSeconds = cpu['usage_usec'] * 1000n;
      const current = await this.#number('', 'memory.current');
      if (current !== undefined) {
        usage.memoryUsageBytes = current;
        usage.memoryWorkingSetBytes = workingSet(current, stat['inactive_file']);
      }
      if (stat['anon'] !== undefined) usage.memoryRssBytes = stat['anon'];
    } else {
      const cpu = await this.#number('cpuacct', 'cpuacct.usage');
      if (cpu !== undefined) usage.cpuNanoSeconds = cpu;
      const current = await this.#number('memory', 'memory.usage_in_bytes');
      if (current !== undefined) {
        usage.memoryUsageBytes = current;
        usage.memoryWorkingSetBytes = workingSet(current, stat['total_inactive_file']);
      }
      if (stat['total_rss'] !== undefined) usage.memoryRssBytes = stat['total_rss'];
    }
    const faults = stat['pgfault'] ?? stat['total_pgfault'];
    const major = stat['pgmajfault'] ?? stat['total_pgmajfault'];
    if (faults !== undefined) usage.pageFaults = faults;
    if (major !== undefined) usage.majorPageFaults = major;
    return usage;
  }

  /** Removes the directories (the runner must be gone); idempotent. */
  async remove(): Promise<void> {
    for (const dir of this.dirs) {
      try {
        await rmdir(dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        throw new ShimError('Internal', `removing cgroup ${dir}: ${String(e)}`, { cause: e });
      }
    }
  }

  async #write(controller: string, file: string, value: number | string): Promise<void> {
    const path = join(this.#byController[controller] ?? '', file);
    try {
      await writeFile(path, String(value));
    } catch (e) {
      throw new ShimError('InvalidArgument', `setting ${file} of the container's cgroup to ${value}: ${(e as Error).message}`, { cause: e });
    }
  }

  async #read(controller: string, file: string): Promise<string | undefined> {
    return readFile(join(this.#byController[controller] ?? '', file), 'utf8').catch(() => undefined);
  }

  async #number(controller: string, file: string): Promise<bigint | undefined> {
    const text = (await this.#read(controller, file))?.trim();
    return text !== undefined && /^\d+$/.test(text) ? BigInt(text) : undefined;
  }
}

function keyed(text: string | undefined): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value && /^\d+$/.test(value)) out[key] = BigInt(value);
  }
  return out;
}

function workingSet(usage: bigint, inactiveFile: bigint | undefined): bigint {
  const inactive = inactiveFile ?? 0n;
  return usage > inactive ? usage - inactive : 0n;
}
