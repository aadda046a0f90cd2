import { ShimError } from '../errors.js';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { requiredString } from './require.js';

/** The sandbox with this id; `InvalidArgument` for an empty id, `NotFound` for an unknown one. */
export function findSandbox(shim: ShimServices, id: string): SandboxRecord {
  requiredString(id, 'pod sandbox id');
  const record = shim.sandboxes.get(id);
  if (record === undefined) throw new ShimError('NotFound', `pod sandbox "${id}" not found`);
  return record;
}

/** The container with this id; `InvalidArgument` for an empty id, `NotFound` for an unknown one. */
export function findContainer(shim: ShimServices, id: string): ContainerRecord {
  requiredString(id, 'container id');
  const record = shim.containers.get(id);
  if (record === undefined) throw new ShimError('NotFound', `container "${id}" not found`);
  return record;
}
