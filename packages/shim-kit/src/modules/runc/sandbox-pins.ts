import { statfs, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import type { Mounter } from '@shimkit/image-store';
import { ShimError } from '../../errors.js';
import { readMountinfo } from '../../host/mountinfo.js';
import type { PodSysctl } from './pod-sysctls.js';

const NSFS_MAGIC = 0x6e736673;

/** What {@link pinNamespaces} should make. */
export interface PinRequest {
  /** Pin a new IPC namespace at `<dir>/ipc`. */
  ipc: boolean;
  /** Pin a new UTS namespace at `<dir>/uts`, with this hostname set in it. */
  uts: { hostname: string } | undefined;
  /** The pod's network namespace (for net.* sysctls). */
  netnsPath?: string;
  /** The pod's own user namespace: the new namespaces belong to it. */
  usernsPath?: string;
  sysctls: readonly PodSysctl[];
  helper: HostHelper;
  signal?: AbortSignal;
}

/** Paths of the pinned namespaces. */
export interface Pins {
  ipc?: string;
  uts?: string;
}

/**
 * Creates the pod's IPC and UTS namespaces without a process to hold them: the host helper
 * bind-mounts them onto files in `dir` (CRI-O's "drop infra"). In the same step, inside the new
 * namespaces (and the pod's network namespace), it sets the hostname and writes the pod's sysctls.
 */
export async function pinNamespaces(dir: string, request: PinRequest): Promise<Pins> {
  request.signal?.throwIfAborted();
  const pins: Pins = {};
  if (request.ipc) pins.ipc = join(dir, 'ipc');
  if (request.uts) pins.uts = join(dir, 'uts');
  for (const path of [pins.ipc, pins.uts]) if (path !== undefined) await writeFile(path, '', { mode: 0o444 });
  if (pins.ipc === undefined && pins.uts === undefined && request.sysctls.length === 0) return pins;
  const netSysctls = request.netnsPath !== undefined && request.sysctls.some((s) => s.namespace === 'net');
  try {
    await request.helper.pinNamespaces({
      ...(pins.ipc === undefined ? {} : { ipc: pins.ipc }),
      ...(pins.uts === undefined || request.uts === undefined ? {} : { uts: { path: pins.uts, hostname: request.uts.hostname } }),
      ...(netSysctls ? { netns: request.netnsPath } : {}),
      ...(request.usernsPath === undefined ? {} : { userns: request.usernsPath }),
      sysctls: request.sysctls.map((s) => [s.path, s.value] as const),
    });
  } catch (e) {
    throw new ShimError('Internal', `pinning the pod namespaces: ${(e as Error).message}`, { cause: e });
  }
  return pins;
}

/** Whether every path is a namespace file (an nsfs bind mount still in place). */
export async function pinsAlive(paths: readonly string[]): Promise<boolean> {
  for (const path of paths) {
    try {
      if ((await statfs(path)).type !== NSFS_MAGIC) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Mount points at or below `dir`, deepest first, from /proc/self/mountinfo. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
  const points = new Set((await readMountinfo()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(prefix)));
  return [...points].sort((a, b) => b.length - a.length);
}

/** Unmounts everything mounted at or below `dir` (pins, the shm tmpfs); nothing mounted is fine. */
export async function unmountUnder(dir: string, mounter: Mounter): Promise<void> {
  // a path can carry stacked mounts (each unmount takes the top one): a few rounds
  for (let round = 0; round < 4; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) await mounter.unmount(point);
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new ShimError('Internal', `cannot remove ${dir}: still mounted at ${left.join(', ')}`);
}

/** Mounts the pod's /dev/shm: a tmpfs of `sizeBytes` at `path`. */
export async function mountShm(path: string, sizeBytes: number, mounter: Mounter, options: { signal?: AbortSignal } = {}): Promise<void> {
  await mounter.mount({
    source: 'shm',
    target: path,
    fstype: 'tmpfs',
    flags: ['nosuid', 'nodev', 'noexec'],
    data: `mode=1777,size=${Math.floor(sizeBytes / 1024)}k`,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
