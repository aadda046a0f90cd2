import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, copyFile, link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { TestBedError, throwIfAborted } from './errors.js';

const execFileAsync = promisify(execFile);

/** Options for {@link createBusyboxRootfs}. */
export interface BusyboxRootfsOptions {
  /** The busybox binary to copy (default Debian busybox-static's `/bin/busybox`). */
  busybox?: string;
  /**
   * How applets point at /bin/busybox. Hard links (the default) keep each applet a
   * real file, so masking or re-mounting one path never hides busybox itself.
   */
  links?: 'hard' | 'symbolic';
  signal?: AbortSignal;
}

/** What {@link createBusyboxRootfs} made. */
export interface BusyboxRootfs {
  /** The rootfs directory. */
  dir: string;
  /** Applet paths relative to the rootfs, e.g. `bin/sh`. */
  applets: string[];
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/**
 * Fills `dir` (created if missing) with a minimal root filesystem: /bin/busybox,
 * a link for every applet it lists, /etc/passwd and /etc/group, and empty
 * /tmp, /proc, /sys, /dev, /root directories.
 */
export async function createBusyboxRootfs(dir: string, options: BusyboxRootfsOptions = {}): Promise<BusyboxRootfs> {
  const busybox = options.busybox ?? '/bin/busybox';
  const links = options.links ?? 'hard';
  const { signal } = options;
  throwIfAborted(signal, 'createBusyboxRootfs');
  let listing: string;
  try {
    ({ stdout: listing } = await execFileAsync(busybox, ['--list-full'], { signal }));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TestBedError(
      missing ? 'BINARY_MISSING' : 'COMMAND_FAILED',
      `createBusyboxRootfs: cannot list applets of ${busybox}${missing ? ' (install busybox-static)' : ''}`,
      { cause: err },
    );
  }
  const applets = listing
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox');
  for (const applet of applets) {
    const clean = normalize(applet);
    if (clean.startsWith('..') || clean.startsWith('/')) {
      throw new TestBedError('INVALID_ARGUMENT', `createBusyboxRootfs: ${busybox} lists an unsafe applet path: ${applet}`);
    }
  }

  for (const sub of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'root', 'var', 'run']) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await chmod(join(dir, 'tmp'), 0o1777);
  const target = join(dir, 'bin/busybox');
  await copyFile(busybox, target);
  await chmod(target, 0o755);
  for (const applet of applets) {
    throwIfAborted(signal, 'createBusyboxRootfs');
    const path = join(dir, applet);
    await mkdir(dirname(path), { recursive: true });
    if (links === 'hard') await link(target, path);
    else await symlink('/bin/busybox', path);
  }
  await writeFile(join(dir, 'etc/passwd'), PASSWD, { mode: 0o644 });
  await writeFile(join(dir, 'etc/group'), GROUP, { mode: 0o644 });
  return { dir, applets };
}
