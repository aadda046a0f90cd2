import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { MountPropagation, type Device as CriDevice, type Mount as CriMount } from '@shimkit/cri-types';
import type { Device, RuntimeSpecBuilder } from '@shimkit/oci-spec';
import { ShimError } from '../errors.js';

const propagationOption: Record<number, string> = {
  [MountPropagation.PROPAGATION_PRIVATE]: 'rprivate',
  [MountPropagation.PROPAGATION_HOST_TO_CONTAINER]: 'rslave',
  [MountPropagation.PROPAGATION_BIDIRECTIONAL]: 'rshared',
};

/**
 * Adds kubelet's volume mounts as recursive bind mounts (read-only, recursive read-only and
 * propagation as asked; recursive read-only only on a read-only, private mount, as kubelet and
 * containerd require). A non-private propagation makes the root propagation match, as
 * runc needs a shared or slave root for it.
 */
export function applyMounts(builder: RuntimeSpecBuilder, mounts: readonly CriMount[]): void {
  let rootPropagation: string | undefined;
  for (const [i, m] of mounts.entries()) {
    if (!m.containerPath.startsWith('/')) throw new ShimError('InvalidArgument', `mounts[${i}].container_path must be absolute, got ${JSON.stringify(m.containerPath)}`);
    if (m.image !== undefined && m.image.image !== '') throw new ShimError('Unimplemented', `mounts[${i}]: image volumes are not supported`);
    if (!m.hostPath.startsWith('/')) throw new ShimError('InvalidArgument', `mounts[${i}].host_path must be absolute, got ${JSON.stringify(m.hostPath)}`);
    const propagation = propagationOption[m.propagation];
    if (propagation === undefined) throw new ShimError('InvalidArgument', `mounts[${i}].propagation ${m.propagation} is unknown`);
    if (m.recursiveReadOnly && !m.readonly) throw new ShimError('InvalidArgument', `mounts[${i}]: recursive_read_only needs readonly`);
    if (m.recursiveReadOnly && propagation !== 'rprivate') throw new ShimError('InvalidArgument', `mounts[${i}]: recursive_read_only needs PROPAGATION_PRIVATE`);
    if (propagation === 'rshared') rootPropagation = 'rshared';
    else if (propagation === 'rslave' && rootPropagation === undefined) rootPropagation = 'rslave';
    const options = ['rbind', m.readonly ? 'ro' : 'rw', propagation, ...m.mountOptions];
    if (m.recursiveReadOnly) options.push('rro');
    builder.addMount({ destination: m.containerPath, type: 'bind', source: m.hostPath, options });
  }
  if (rootPropagation !== undefined) {
    const value = rootPropagation;
    builder.update((spec) => void ((spec.linux ??= {}).rootfsPropagation = value));
  }
}

/** Linux dev_t split into major and minor (glibc's encoding). */
function splitDev(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

/** The OCI device entry for the device node `info` describes, at `path` in the container. */
export function deviceOf(path: string, info: Stats): Device {
  return { path, type: info.isBlockDevice() ? 'b' : 'c', ...splitDev(info.rdev), fileMode: info.mode & 0o777, uid: info.uid, gid: info.gid };
}

/** Adds host devices (character or block) with a device cgroup rule for their permissions. */
export async function applyDevices(builder: RuntimeSpecBuilder, devices: readonly CriDevice[]): Promise<void> {
  for (const [i, d] of devices.entries()) {
    if (!d.containerPath.startsWith('/')) throw new ShimError('InvalidArgument', `devices[${i}].container_path must be absolute`);
    const access = d.permissions === '' ? 'rwm' : d.permissions;
    if (!/^[rwm]{1,3}$/.test(access)) throw new ShimError('InvalidArgument', `devices[${i}].permissions ${JSON.stringify(d.permissions)} is not a subset of "rwm"`);
    const info = await stat(d.hostPath).catch((e: unknown) => {
      throw new ShimError('InvalidArgument', `devices[${i}]: cannot stat host device ${d.hostPath}: ${(e as Error).message}`, { cause: e });
    });
    if (!info.isCharacterDevice() && !info.isBlockDevice()) {
      throw new ShimError('InvalidArgument', `devices[${i}]: ${d.hostPath} is not a character or block device`);
    }
    builder.addDevice(deviceOf(d.containerPath, info), { access });
  }
}
