import type { ContainerStats, DeepPartial, LinuxPodSandboxStats, PodSandboxStats } from '@shimkit/cri-types';
import { isShimError } from '../errors.js';
import { toUnixNs } from '../interfaces/clock.js';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { ContainerUsage } from '../interfaces/runtime-backend.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';

const value = (v: bigint | undefined): { value: bigint } | undefined => (v === undefined ? undefined : { value: v });

function usageStats(record: ContainerRecord, usage: ContainerUsage | undefined, now: bigint): DeepPartial<ContainerStats> {
  const attributes = { id: record.id, metadata: record.config.metadata, labels: record.config.labels, annotations: record.config.annotations };
  if (usage === undefined) return { attributes };
  const timestamp = toUnixNs(usage.timestamp) || now;
  return {
    attributes,
    cpu: { timestamp, usageCoreNanoSeconds: value(usage.cpuUsageCoreNanoSeconds) },
    memory: {
      timestamp,
      workingSetBytes: value(usage.memoryWorkingSetBytes),
      usageBytes: value(usage.memoryUsageBytes),
      availableBytes: value(usage.memoryAvailableBytes),
      rssBytes: value(usage.memoryRssBytes),
      pageFaults: value(usage.pageFaults),
      majorPageFaults: value(usage.majorPageFaults),
    },
  };
}

/** Stats of one container: usage from the backend while it runs, attributes only otherwise. */
export async function containerStats(shim: ShimServices, record: ContainerRecord, signal?: AbortSignal): Promise<DeepPartial<ContainerStats>> {
  let usage: ContainerUsage | undefined;
  if (record.state === 'running') {
    try {
      usage = await shim.runtime.stats(record.id, signal === undefined ? {} : { signal });
    } catch (e) {
      if (!isShimError(e, 'NotFound')) throw e;
    }
  }
  return usageStats(record, usage, shim.clock.nowNs());
}

const sum = (values: (bigint | undefined)[]): bigint | undefined =>
  values.some((v) => v !== undefined) ? values.reduce<bigint>((a, v) => a + (v ?? 0n), 0n) : undefined;

/** Stats of a sandbox: its containers' stats and their CPU and memory summed. */
export async function sandboxStats(shim: ShimServices, sandbox: SandboxRecord, signal?: AbortSignal): Promise<DeepPartial<PodSandboxStats>> {
  const records = shim.containers.list().filter((c) => c.sandboxId === sandbox.id);
  const containers = await Promise.all(records.map((c) => containerStats(shim, c, signal)));
  const timestamp = shim.clock.nowNs();
  const linux: DeepPartial<LinuxPodSandboxStats> = {
    containers,
    cpu: { timestamp, usageCoreNanoSeconds: value(sum(containers.map((c) => c.cpu?.usageCoreNanoSeconds?.value as bigint | undefined))) },
    memory: { timestamp, workingSetBytes: value(sum(containers.map((c) => c.memory?.workingSetBytes?.value as bigint | undefined))) },
  };
  return {
    attributes: { id: sandbox.id, metadata: sandbox.config.metadata, labels: sandbox.config.labels, annotations: sandbox.config.annotations },
    linux,
  };
}
