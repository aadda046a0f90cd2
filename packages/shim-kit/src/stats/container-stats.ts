import type { ContainerStats, DeepPartial, LinuxPodSandboxStats, PodSandboxStats } from '@shimkit/cri-types';
import { isShimError } from '../errors.js';
import { toUnixNs } from '../interfaces/clock.js';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { FilesystemUsageInfo } from '../interfaces/image-backend.js';
import type { ContainerUsage } from '../interfaces/runtime-backend.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import type { InterfaceCounters } from '../host/net-dev.js';
import { podInterfaces } from '../host/pod-interfaces.js';
import { toFilesystemUsage } from '../convert/to-cri.js';

const value = (v: bigint | undefined): { value: bigint } | undefined => (v === undefined ? undefined : { value: v });

function usageStats(record: ContainerRecord, usage: ContainerUsage | undefined, layer: FilesystemUsageInfo | undefined, now: bigint): DeepPartial<ContainerStats> {
  const attributes = { id: record.id, metadata: record.config.metadata, labels: record.config.labels, annotations: record.config.annotations };
  const writableLayer = layer === undefined ? undefined : toFilesystemUsage(layer, now);
  if (usage === undefined) return { attributes, ...(writableLayer && { writableLayer }) };
  const timestamp = toUnixNs(usage.timestamp) || now;
  return {
    attributes,
    ...(writableLayer && { writableLayer }),
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

/**
 * Stats of one container: cpu and memory from the backend while it runs, the writable layer
 * (what it wrote to its rootfs, kubelet's ephemeral-storage accounting) while it has a rootfs.
 */
export async function containerStats(shim: ShimServices, record: ContainerRecord, signal?: AbortSignal): Promise<DeepPartial<ContainerStats>> {
  const options = signal === undefined ? {} : { signal };
  const [usage, layer] = await Promise.all([
    record.state === 'running' ? shim.runtime.stats(record.id, options).catch(unlessNotFound) : undefined,
    shim.images.rootfsUsage?.(record.id, options).catch(unlessNotFound),
  ]);
  return usageStats(record, usage, layer, shim.clock.nowNs());
}

function unlessNotFound(e: unknown): undefined {
  if (isShimError(e, 'NotFound')) return undefined;
  throw e;
}

const sum = (values: (bigint | undefined)[]): bigint | undefined =>
  values.some((v) => v !== undefined) ? values.reduce<bigint>((a, v) => a + (v ?? 0n), 0n) : undefined;

/**
 * Stats of sandboxes: each one's containers' stats, their CPU and memory summed, and the traffic
 * of the pod's network interfaces (`eth0` as the default one, kubelet's name) while a process is
 * in its network namespace (one pass over /proc finds those processes for all of them).
 */
export async function sandboxStats(shim: ShimServices, sandboxes: readonly SandboxRecord[], signal?: AbortSignal): Promise<DeepPartial<PodSandboxStats>[]> {
  const byPod = podInterfaces(sandboxes);
  return Promise.all(sandboxes.map((s) => oneSandboxStats(shim, s, byPod.then((m) => m.get(s.id)), signal)));
}

async function oneSandboxStats(shim: ShimServices, sandbox: SandboxRecord, pending: Promise<InterfaceCounters[] | undefined>, signal?: AbortSignal): Promise<DeepPartial<PodSandboxStats>> {
  const records = shim.containers.list().filter((c) => c.sandboxId === sandbox.id);
  const [containers, interfaces] = await Promise.all([Promise.all(records.map((c) => containerStats(shim, c, signal))), pending]);
  const timestamp = shim.clock.nowNs();
  const linux: DeepPartial<LinuxPodSandboxStats> = {
    containers,
    cpu: { timestamp, usageCoreNanoSeconds: value(sum(containers.map((c) => c.cpu?.usageCoreNanoSeconds?.value as bigint | undefined))) },
    memory: { timestamp, workingSetBytes: value(sum(containers.map((c) => c.memory?.workingSetBytes?.value as bigint | undefined))) },
  };
  if (interfaces !== undefined && interfaces.length > 0) {
    const usage = interfaces.map((i) => ({ name: i.name, rxBytes: { value: i.rxBytes }, rxErrors: { value: i.rxErrors }, txBytes: { value: i.txBytes }, txErrors: { value: i.txErrors } }));
    linux.network = { timestamp, defaultInterface: usage.find((i) => i.name === 'eth0') ?? usage[0], interfaces: usage };
  }
  return {
    attributes: { id: sandbox.id, metadata: sandbox.config.metadata, labels: sandbox.config.labels, annotations: sandbox.config.annotations },
    linux,
  };
}

