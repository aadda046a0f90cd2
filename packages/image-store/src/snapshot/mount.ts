import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';
import { MNT_DETACH, MountCallError, MountHelper } from './mount-helper.js';

const ENOENT = 2;
const EINVAL = 22;
const EBUSY = 16;

function run(file: string, args: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000, signal }, (err, _out, stderr) => {
      if (err) reject(new ImageStoreError('STORE_IO', `${file} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

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

/**
 * Mounts and unmounts: system calls through a MountHelper when it can run, else mount(8) and
 * umount(8). A helper that fails (rather than the kernel refusing the call) is replaced by
 * the tools for that call. Errors are ImageStoreErrors (`STORE_IO`) naming the target.
 */
export class Mounter {
  constructor(readonly helper = new MountHelper()) {}

  async mount(request: MountRequest): Promise<void> {
    const flags = request.flags ?? [];
    const data = request.data ?? '';
    const done = await this.#helped(() => this.helper.mount(request.source, request.target, request.fstype, flags.reduce((bits, f) => bits | MOUNT_FLAGS[f], 0), data));
    if (done) return;
    const options = [...flags, ...(data === '' ? [] : [data])].join(',');
    await run('mount', ['-t', request.fstype, ...(options === '' ? [] : ['-o', options]), request.source, request.target], request.signal);
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
    const done = await this.#helped(async () => {
      try {
        await this.helper.unmount(target);
      } catch (e) {
        if (!(e instanceof MountCallError)) throw e;
        if (e.errno === EINVAL || e.errno === ENOENT) return;
        if (e.errno !== EBUSY) throw e;
        await this.helper.unmount(target, MNT_DETACH);
      }
    });
    if (done) return;
    try {
      await run('umount', [target]);
    } catch (e) {
      if (/not mounted|no mount point|not found/i.test((e as Error).message)) return;
      await run('umount', ['-l', target]);
    }
  }

  /** Ends the helper process (a later call starts a new one). */
  close(): void {
    this.helper.close();
  }

  /** Runs `call` on the helper: true when it did, false when the tools must do it. */
  async #helped(call: () => Promise<void>): Promise<boolean> {
    if (!this.helper.available) return false;
    try {
      await call();
      return true;
    } catch (e) {
      if (e instanceof MountCallError) throw new ImageStoreError('STORE_IO', e.message, { cause: e });
      return false;
    }
  }
}

/** True when this process can mount overlayfs (root, kernel support) with a directory under `base`. */
export async function overlaySupported(base: string, mounter: Mounter): Promise<boolean> {
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, '.overlay-probe-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d));
    await mounter.mountOverlay(join(dir, 'merged'), { lowerDirs: [join(dir, 'lower')], upperDir: join(dir, 'upper'), workDir: join(dir, 'work') });
    await mounter.unmount(join(dir, 'merged'));
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
