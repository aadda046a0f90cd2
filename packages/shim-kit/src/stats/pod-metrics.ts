import type { ContainerMetrics, DeepPartial, Metric, PodSandboxMetrics } from '@shimkit/cri-types';
import { isShimError } from '../errors.js';
import { toUnixNs } from '../interfaces/clock.js';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { ContainerUsage } from '../interfaces/runtime-backend.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { CONTAINER_METRICS, NETWORK_METRICS, type ShimMetric } from './metric-descriptors.js';
import type { InterfaceCounters } from '../host/net-dev.js';
import { podInterfaces } from '../host/pod-interfaces.js';

const NS_PER_SECOND = 1_000_000_000n;
const MAX_UINT64 = (1n << 64n) - 1n;

function sample(metric: ShimMetric, labelValues: string[], value: bigint, timestamp: bigint): DeepPartial<Metric> {
  const clamped = value < 0n ? 0n : value > MAX_UINT64 ? MAX_UINT64 : value;
  return { name: metric.name, timestamp, metricType: metric.type, labelValues, value: { value: clamped } };
}

/** Values of CONTAINER_LABEL_KEYS: container, id, image, name, namespace, pod. */
function containerLabels(record: ContainerRecord, sandbox: SandboxRecord): string[] {
  const pod = sandbox.config.metadata;
  return [record.config.metadata?.name ?? '', record.id, record.imageName, record.name, pod?.namespace ?? '', pod?.name ?? ''];
}

/** Values of CONTAINER_LABEL_KEYS for the pod itself (no container, no image), as cAdvisor labels a pod's own cgroup. */
function podLabels(sandbox: SandboxRecord): string[] {
  const pod = sandbox.config.metadata;
  return ['', sandbox.id, '', sandbox.name, pod?.namespace ?? '', pod?.name ?? ''];
}

/** Whether the backend measured anything (it answers with a bare timestamp for a container that just exited). */
const measured = (u: ContainerUsage): boolean =>
  u.cpuUsageCoreNanoSeconds !== undefined || u.memoryUsageBytes !== undefined || u.memoryWorkingSetBytes !== undefined;

/**
 * The metrics of one running container from its usage and its record: CPU and memory from the
 * backend, the limits it was given (ContainerConfig as updated by UpdateContainerResources),
 * its start time and when it was seen. CPU time is in whole seconds: CRI values are integers.
 */
export function containerMetrics(record: ContainerRecord, sandbox: SandboxRecord, usage: ContainerUsage): DeepPartial<ContainerMetrics> {
  const labels = containerLabels(record, sandbox);
  const at = toUnixNs(usage.timestamp);
  const m = CONTAINER_METRICS;
  const metrics: DeepPartial<Metric>[] = [];
  const gauge = (metric: ShimMetric, value: bigint | undefined): void => {
    if (value !== undefined) metrics.push(sample(metric, labels, value, at));
  };
  if (usage.cpuUsageCoreNanoSeconds !== undefined) metrics.push(sample(m.cpuUsage, [...labels, 'total'], usage.cpuUsageCoreNanoSeconds / NS_PER_SECOND, at));
  gauge(m.memoryUsage, usage.memoryUsageBytes);
  gauge(m.memoryWorkingSet, usage.memoryWorkingSetBytes);
  gauge(m.memoryRss, usage.memoryRssBytes);
  // A container's cgroup has no children, so its own and its hierarchy's counts are the same.
  for (const [type, value] of [['pgfault', usage.pageFaults], ['pgmajfault', usage.majorPageFaults]] as const) {
    if (value === undefined) continue;
    for (const scope of ['container', 'hierarchy']) metrics.push(sample(m.memoryFailures, [...labels, type, scope], value, at));
  }
  const resources = record.config.linux?.resources;
  gauge(m.specMemoryLimit, resources?.memoryLimitInBytes ?? 0n);
  const positive = (v: bigint | undefined): bigint | undefined => (v !== undefined && v > 0n ? v : undefined);
  gauge(m.specCpuShares, positive(resources?.cpuShares));
  gauge(m.specCpuPeriod, positive(resources?.cpuPeriod));
  gauge(m.specCpuQuota, positive(resources?.cpuQuota));
  if (record.startedAt > 0n) gauge(m.startTime, record.startedAt / NS_PER_SECOND);
  gauge(m.lastSeen, at / NS_PER_SECOND);
  return { containerId: record.id, metrics };
}

/** The pod's network metrics, one series per interface and counter. */
function networkMetrics(sandbox: SandboxRecord, interfaces: readonly InterfaceCounters[], timestamp: bigint): DeepPartial<Metric>[] {
  const n = NETWORK_METRICS;
  const base = podLabels(sandbox);
  return interfaces.flatMap((i) => {
    const labels = [...base, i.name];
    return ([
      [n.rxBytes, i.rxBytes], [n.rxPackets, i.rxPackets], [n.rxDropped, i.rxDropped], [n.rxErrors, i.rxErrors],
      [n.txBytes, i.txBytes], [n.txPackets, i.txPackets], [n.txDropped, i.txDropped], [n.txErrors, i.txErrors],
    ] as const).map(([metric, value]) => sample(metric, labels, value, timestamp));
  });
}

async function usageOf(shim: ShimServices, record: ContainerRecord, signal: AbortSignal | undefined): Promise<ContainerUsage | undefined> {
  try {
    const usage = await shim.runtime.stats(record.id, signal === undefined ? {} : { signal });
    return measured(usage) ? usage : undefined;
  } catch (e) {
    if (signal?.aborted) throw e;
    // One container's failure must not cost kubelet the whole scrape.
    if (!isShimError(e, 'NotFound')) shim.logger.warn('metrics: no usage for a container', { container: record.id, error: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
}

/**
 * ListPodSandboxMetrics: for every pod that is ready or still runs a container, the metrics of
 * its running containers (see {@link containerMetrics}) and its network counters per interface
 * (read from /proc/<pid>/net/dev of a process in the pod's network namespace, as cAdvisor does;
 * none for a host-network pod or one with no process in its namespace).
 */
export async function listPodSandboxMetrics(shim: ShimServices, signal?: AbortSignal): Promise<DeepPartial<PodSandboxMetrics>[]> {
  const running = new Map<string, ContainerRecord[]>();
  for (const c of shim.containers.list()) if (c.state === 'running') running.set(c.sandboxId, [...(running.get(c.sandboxId) ?? []), c]);
  const sandboxes = shim.sandboxes.list().filter((s) => s.state === 'ready' || running.has(s.id));
  const [interfaces, usages] = await Promise.all([
    podInterfaces(sandboxes),
    Promise.all(sandboxes.map((s) => Promise.all((running.get(s.id) ?? []).map(async (c) => [c, await usageOf(shim, c, signal)] as const)))),
  ]);
  const now = shim.clock.nowNs();
  return sandboxes.map((sandbox, i) => ({
    podSandboxId: sandbox.id,
    metrics: networkMetrics(sandbox, interfaces.get(sandbox.id) ?? [], now),
    containerMetrics: (usages[i] ?? []).flatMap(([record, usage]) => (usage === undefined ? [] : [containerMetrics(record, sandbox, usage)])),
  }));
}
