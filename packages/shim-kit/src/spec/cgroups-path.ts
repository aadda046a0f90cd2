import { posix } from 'node:path';
import { ShimError } from '../errors.js';

/**
 * The OCI `cgroupsPath` of a container (or pod infra container) under kubelet's cgroup parent.
 * cgroupfs: `<parent>/<id>` (`/shimkit/<id>` without a parent). systemd: `<slice>:shimkit:<id>`,
 * where the slice is the last element of the parent, as kubelet sends the full path
 * (`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice`) and runc
 * expands a slice name itself (`system.slice` without a parent), as containerd does.
 * @throws ShimError `InvalidArgument` for a systemd parent that is not a slice.
 */
export function cgroupsPath(driver: 'systemd' | 'cgroupfs', parent: string, id: string): string {
  if (driver === 'cgroupfs') return `${parent || '/shimkit'}/${id}`;
  if (parent === '') return `system.slice:shimkit:${id}`;
  const slice = posix.basename(parent);
  if (!slice.endsWith('.slice')) throw new ShimError('InvalidArgument', `cgroup_parent ${JSON.stringify(parent)} is not a systemd slice (the cgroup driver is systemd)`);
  return `${slice}:shimkit:${id}`;
}
