import type { ContainerStats } from '@shimkit/runc-driver';
import type { ContainerUsage } from '../../interfaces/runtime-backend.js';

// cgroup v1 reports "no limit" as a page-rounded LONG_MAX; anything this large is unlimited.
const UNLIMITED = 2 ** 60;

const big = (n: number | undefined): bigint | undefined => (n === undefined || !Number.isFinite(n) ? undefined : BigInt(Math.max(0, Math.round(n))));

/**
 * CRI usage from cgroup statistics (runc's `events --stats` fields, v1 or v2): cpu time,
 * memory usage, working set (usage minus inactive file pages, as kubelet computes it), rss,
 * available memory (limit minus working set, when limited) and page faults.
 */
export function usageFromStats(stats: ContainerStats, timestamp: Date): ContainerUsage {
  const raw = stats.memory?.raw ?? {};
  const usage = stats.memory?.usage?.usage;
  // v2's memory.stat has `anon`; v1's has `rss` and the hierarchical `total_*` counters
  const v2 = raw['anon'] !== undefined && raw['rss'] === undefined;
  const inactiveFile = v2 ? raw['inactive_file'] : raw['total_inactive_file'] ?? raw['inactive_file'];
  const workingSet = usage === undefined ? undefined : Math.max(0, usage - (inactiveFile ?? 0));
  const limit = stats.memory?.usage?.limit;
  const out: ContainerUsage = { timestamp };
  const set = <K extends keyof ContainerUsage>(key: K, value: ContainerUsage[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('cpuUsageCoreNanoSeconds', big(stats.cpu?.usage?.total));
  set('memoryUsageBytes', big(usage));
  set('memoryWorkingSetBytes', big(workingSet));
  set('memoryRssBytes', big(v2 ? raw['anon'] : raw['total_rss'] ?? raw['rss']));
  set('pageFaults', big(v2 ? raw['pgfault'] : raw['total_pgfault'] ?? raw['pgfault']));
  set('majorPageFaults', big(v2 ? raw['pgmajfault'] : raw['total_pgmajfault'] ?? raw['pgmajfault']));
  if (limit !== undefined && limit < UNLIMITED && workingSet !== undefined) set('memoryAvailableBytes', big(limit - workingSet));
  return out;
}
