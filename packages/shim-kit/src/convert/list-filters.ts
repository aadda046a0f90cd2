import type { ContainerFilter, ContainerStatsFilter, PodSandboxFilter, PodSandboxStatsFilter } from '@shimkit/cri-types';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { matchesLabels } from './label-selector.js';
import { criContainerState, criSandboxState } from './to-cri.js';

/**
 * The id a filter names, as containerd resolves it: an exact id, else the one id it is a
 * prefix of; an ambiguous or unknown prefix stays as given (so it matches nothing).
 */
export function resolveIdPrefix(wanted: string, records: readonly { id: string }[]): string {
  if (wanted === '' || records.some((r) => r.id === wanted)) return wanted;
  const matches = records.filter((r) => r.id.startsWith(wanted));
  return matches.length === 1 && matches[0] !== undefined ? matches[0].id : wanted;
}

/** Sandboxes matching a ListPodSandbox / stats filter (id or unique id prefix, state, labels), oldest first. */
export function filterSandboxes(shim: ShimServices, filter: PodSandboxFilter | PodSandboxStatsFilter | undefined): SandboxRecord[] {
  const all = shim.sandboxes.list();
  const id = filter === undefined ? '' : resolveIdPrefix(filter.id, all);
  return all
    .filter((s) => id === '' || s.id === id)
    .filter((s) => filter === undefined || !('state' in filter) || filter.state === undefined || criSandboxState(s.state) === filter.state.state)
    .filter((s) => matchesLabels(s.config.labels, filter?.labelSelector))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/** Containers matching a ListContainers / stats filter (id or unique id prefix, state, sandbox id or unique prefix, labels), oldest first. */
export function filterContainers(shim: ShimServices, filter: ContainerFilter | ContainerStatsFilter | undefined): ContainerRecord[] {
  const all = shim.containers.list();
  const id = filter === undefined ? '' : resolveIdPrefix(filter.id, all);
  const sandboxId = filter === undefined ? '' : resolveIdPrefix(filter.podSandboxId, shim.sandboxes.list());
  return all
    .filter((c) => id === '' || c.id === id)
    .filter((c) => sandboxId === '' || c.sandboxId === sandboxId)
    .filter((c) => filter === undefined || !('state' in filter) || filter.state === undefined || criContainerState(c.state) === filter.state.state)
    .filter((c) => matchesLabels(c.config.labels, filter?.labelSelector))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
