import type { LinuxContainerResources } from '@shimkit/cri-types';
import type { Resources } from '@shimkit/oci-spec';

/** CRI container resources as OCI cgroup resources; zero values mean "not set", as in kubelet. */
export function ociResources(r: LinuxContainerResources | undefined): Resources {
  const out: Resources = {};
  if (r === undefined) return out;
  const cpu: NonNullable<Resources['cpu']> = {};
  if (r.cpuShares > 0n) cpu.shares = Number(r.cpuShares);
  if (r.cpuQuota !== 0n) cpu.quota = Number(r.cpuQuota);
  if (r.cpuPeriod > 0n) cpu.period = Number(r.cpuPeriod);
  if (r.cpusetCpus !== '') cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems !== '') cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  const memory: NonNullable<Resources['memory']> = {};
  if (r.memoryLimitInBytes > 0n) memory.limit = Number(r.memoryLimitInBytes);
  if (r.memorySwapLimitInBytes > 0n) memory.swap = Number(r.memorySwapLimitInBytes);
  if (Object.keys(memory).length > 0) out.memory = memory;
  if (r.hugepageLimits.length > 0) out.hugepageLimits = r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: Number(h.limit) }));
  if (Object.keys(r.unified).length > 0) out.unified = { ...r.unified };
  return out;
}
