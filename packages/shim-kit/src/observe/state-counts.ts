import type { ContainerStore } from '../interfaces/container-record.js';
import type { SandboxStore } from '../interfaces/sandbox-record.js';
import type { StateCounts } from './metrics.js';

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Pods and containers in the stores, by state. */
export function countStates(sandboxes: SandboxStore, containers: ContainerStore): StateCounts {
  return { pods: countBy(sandboxes.list(), (s) => s.state), containers: countBy(containers.list(), (c) => c.state) };
}
