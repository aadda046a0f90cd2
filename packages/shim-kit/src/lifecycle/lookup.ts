import { ShimError } from '../errors.js';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { resolveIdPrefix } from '../convert/list-filters.js';
import { requiredString } from './require.js';

/**
 * The record with this id, or with an id this one is the unique prefix of (containerd and CRI-O
 * take truncated ids everywhere; crictl sends them as typed); undefined when none or several match.
 */
export function byIdOrPrefix<T extends { id: string }>(store: { get(id: string): T | undefined; list(): T[] }, id: string): T | undefined {
  return store.get(id) ?? (id === '' ? undefined : store.get(resolveIdPrefix(id, store.list())));
}

/** The sandbox with this id (or unique id prefix); `InvalidArgument` for an empty id, `NotFound` for an unknown one. */
export function findSandbox(shim: ShimServices, id: string): SandboxRecord {
  requiredString(id, 'pod sandbox id');
  const record = byIdOrPrefix(shim.sandboxes, id);
  if (record === undefined) throw new ShimError('NotFound', `pod sandbox "${id}" not found`);
  return record;
}

/** The container with this id (or unique id prefix); `InvalidArgument` for an empty id, `NotFound` for an unknown one. */
export function findContainer(shim: ShimServices, id: string): ContainerRecord {
  requiredString(id, 'container id');
  const record = byIdOrPrefix(shim.containers, id);
  if (record === undefined) throw new ShimError('NotFound', `container "${id}" not found`);
  return record;
}
