import { readCgroupStats } from '@shimkit/runc-driver';
import type { EngineContainer } from './engine-container.js';

/** Resource use of a running container. */
export interface ContainerStats {
  id: string;
  name: string;
  cpuNanos: number;
  memoryBytes: number;
  memoryLimitBytes?: number;
  pids: number;
}

/** The container's resource use now, read from the cgroups of its process `pid`. */
export async function containerStats(c: EngineContainer, pid: number): Promise<ContainerStats> {
  const s = await readCgroupStats(pid);
  return {
    id: c.id,
    name: c.name,
    cpuNanos: Number(s.cpu?.usage?.total ?? 0),
    memoryBytes: Number(s.memory?.usage?.usage ?? 0),
    // cgroup v1 reports "no limit" as a number near 2^63
    ...(s.memory?.usage?.limit !== undefined && s.memory.usage.limit < 2 ** 60 ? { memoryLimitBytes: Number(s.memory.usage.limit) } : {}),
    pids: Number(s.pids?.current ?? 0),
  };
}
