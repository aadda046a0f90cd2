import type { ContainerFilter, ContainerStatsFilter, PodSandboxFilter, PodSandboxStatsFilter } from '@shimkit/cri-types';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { matchesLabels } from './label-selector.js';
import { criContainerState, criSandboxState } from './to-cri.js';

/** Sandboxes matching a ListPodSandbox / stats filter (id, state, labels), oldest first. */
export function filterSandboxes(shim: ShimServices, filter: PodSandboxFilter | PodSandboxStatsFilter | undefined): SandboxRecord[] {
  return shim.sandboxes
    .list()
    .filter((s) => filter === undefined || filter.id === '' || s.id === filter.id)
    .filter((s) => filter === undefined || !('state' in filter) || filter.state === undefined || criSandboxState(s.state) === filter.state.state)
    .filter((s) => matchesLabels(s.config.labels, filter?.labelSelector))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/** Containers matching a ListContainers / stats filter (id, state, sandbox, labels), oldest first. */
export function filterContainers(shim: ShimServices, filter: ContainerFilter | ContainerStatsFilter | undefined): ContainerRecord[] {
  return shim.containers
    .list()
    .filter((c) => filter === undefined || filter.id === '' || c.id === filter.id)
    .filter((c) => filter === undefined || filter.podSandboxId === '' || c.sandboxId === filter.podSandboxId)
    .filter((c) => filter === undefined || !('state' in filter) || filter.state === undefined || criContainerState(c.state) === filter.state.state)
    .filter((c) => matchesLabels(c.config.labels, filter?.labelSelector))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
