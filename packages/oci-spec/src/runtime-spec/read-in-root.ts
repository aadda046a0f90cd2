import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { OciSpecError } from '../errors.js';

const MAX_LINKS = 40;

/**
 * Reads a file of a container root filesystem, resolving symlinks as if `root` were `/`
 * (an absolute or `..`-climbing link cannot leave the root). Returns `undefined` when the file
 * does not exist.
 *
 * The walk and the read are synchronous system calls on purpose: each takes microseconds on a
 * local root filesystem, while an asynchronous one is a thread-pool round trip, and resolving
 * one path takes a dozen of them (this runs on every CreateContainer). The file is opened
 * without following a last symlink and without blocking, then checked to be a regular file, so
 * a FIFO or device planted in an image cannot stall the caller.
 * @throws OciSpecError `ROOTFS_READ_FAILED` for other failures (too many links, permissions, not a regular file, too large).
 */
export async function readFileInRoot(
  root: string,
  path: string,
  options: { signal?: AbortSignal; maxBytes?: number } = {},
): Promise<string | undefined> {
  options.signal?.throwIfAborted();
  const resolved = resolveInRoot(root, path);
  if (resolved === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(resolved, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new OciSpecError('ROOTFS_READ_FAILED', `${path} in ${root} is not a regular file`, { cause: e });
    throw new OciSpecError('ROOTFS_READ_FAILED', `cannot read ${path} in ${root}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new OciSpecError('ROOTFS_READ_FAILED', `${path} in ${root} is not a regular file`);
    if (info.size > (options.maxBytes ?? 16 * 1024 * 1024)) {
      throw new OciSpecError('ROOTFS_READ_FAILED', `${path} in ${root} is too large (${info.size} bytes)`);
    }
    return readFileSync(fd, 'utf8');
  } catch (e) {
    if (e instanceof OciSpecError) throw e;
    throw new OciSpecError('ROOTFS_READ_FAILED', `cannot read ${path} in ${root}: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

/** Host path of `path` inside `root` with symlinks resolved inside the root, or undefined if missing. */
function resolveInRoot(root: string, path: string): string | undefined {
  let pending = posix.normalize(`/${path}`).split('/').filter((c) => c !== '');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const [component, ...rest] = pending;
    pending = rest;
    if (component === undefined || component === '.') continue;
    if (component === '..') {
      done.pop();
      continue;
    }
    const host = posix.join(root, ...done, component);
    let info;
    try {
      info = lstatSync(host);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw new OciSpecError('ROOTFS_READ_FAILED', `cannot resolve ${path} in ${root}: ${(e as Error).message}`, { cause: e });
    }
    if (!info.isSymbolicLink()) {
      done.push(component);
      continue;
    }
    if (++links > MAX_LINKS) throw new OciSpecError('ROOTFS_READ_FAILED', `too many symlinks resolving ${path} in ${root}`);
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    pending = [...target.split('/').filter((c) => c !== ''), ...pending];
  }
  return posix.join(root, ...done);
}
