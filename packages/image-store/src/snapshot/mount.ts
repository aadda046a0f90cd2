import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isHostHelperError, SystemCallError, type HostHelper } from '@shimkit/host-helper';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import { systemCall, systemCallFailure } from '../system-call.js';

/** umount2 flag: detach now, finish when the mount is no longer busy. */
const MNT_DETACH = 2;

/** mount(2) flags by the option names mount(8) takes for them. */
const MOUNT_FLAGS = { ro: 1, nosuid: 2, nodev: 4, noexec: 8 } as const;

/** What {@link Mounter.mount} mounts. */
export interface MountRequest {
  source: string;
  target: string;
  fstype: string;
  /** Flag options (`ro`, `nosuid`, `nodev`, `noexec`). */
  flags?: readonly (keyof typeof MOUNT_FLAGS)[];
  /** File-system options, comma-separated (`size=64m`, `lowerdir=...`). */
  data?: string;
  signal?: AbortSignal;
}

/** True when `e` is the kernel refusing a call with one of `codes` (errno names). */
function refusedWith(e: unknown, ...codes: string[]): boolean {
  return e instanceof SystemCallError && codes.includes(e.code);
}

/**
 * Mounts and unmounts: mount(2) and umount2(2) calls through the host helper, which its owner
 * closes (the Mounter holds no process of its own). Errors are ImageStoreErrors (`STORE_IO`)
 * naming the target.
 */
export class Mounter {
  constructor(readonly helper: HostHelper) {}

  async mount(request: MountRequest): Promise<void> {
    throwIfAborted(request.signal, `mounting ${request.target}`);
    const flags = (request.flags ?? []).reduce((bits, f) => bits | MOUNT_FLAGS[f], 0);
    await systemCall('STORE_IO', `mount ${request.fstype} on ${request.target}`, () => this.helper.mount(request.source, request.target, request.fstype, flags, request.data ?? ''));
  }

  /** Mounts an overlay at `target`; `lowerDirs` topmost first. */
  async mountOverlay(target: string, options: { lowerDirs: string[]; upperDir: string; workDir: string; signal?: AbortSignal }): Promise<void> {
    const data = `lowerdir=${options.lowerDirs.join(':')},upperdir=${options.upperDir},workdir=${options.workDir}`;
    // The kernel takes mount options in one page.
    if (data.length > 4000) throw new ImageStoreError('STORE_IO', `overlay mount options for ${target} exceed one page (${options.lowerDirs.length} layers)`);
    await this.mount({ source: 'overlay', target, fstype: 'overlay', data, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  }

  /** Unmounts `target`; falls back to a lazy unmount when it is busy; nothing to do when it is not mounted. */
  async unmount(target: string): Promise<void> {
    try {
      await this.helper.unmount(target);
    } catch (e) {
      if (refusedWith(e, 'EINVAL', 'ENOENT')) return;
      if (!refusedWith(e, 'EBUSY')) throw systemCallFailure('STORE_IO', `umount ${target}`, e);
      await systemCall('STORE_IO', `umount ${target}`, () => this.helper.unmount(target, MNT_DETACH));
    }
  }
}

/**
 * True when this process can mount overlayfs (root, kernel support) with a directory under `base`.
 * The kernel refusing says no; the host helper failing (not built, dying) is thrown.
 */
export async function overlaySupported(base: string, mounter: Mounter): Promise<boolean> {
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, '.overlay-probe-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d));
    await mounter.mountOverlay(join(dir, 'merged'), { lowerDirs: [join(dir, 'lower')], upperDir: join(dir, 'upper'), workDir: join(dir, 'work') });
    await mounter.unmount(join(dir, 'merged'));
    return true;
  } catch (e) {
    if (isHostHelperError((e as Error).cause)) throw e;
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
