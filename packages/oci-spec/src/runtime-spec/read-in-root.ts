import { lstat, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { OciSpecError } from '../errors.js';

const MAX_LINKS = 40;

/**
 * Reads a file of a container root filesystem, resolving symlinks as if `root` were `/`
 * (an absolute or `..`-climbing link cannot leave the root). Returns `undefined` when the file
 * does not exist.
 * @throws OciSpecError `ROOTFS_READ_FAILED` for other failures (too many links, permissions, a directory).
 */
export async function readFileInRoot(
  root: string,
  path: string,
  options: { signal?: AbortSignal; maxBytes?: number } = {},
): Promise<string | undefined> {
  const resolved = await resolveInRoot(root, path, options.signal);
  if (resolved === undefined) return undefined;
  try {
    const info = await lstat(resolved);
    if (!info.isFile()) throw new OciSpecError('ROOTFS_READ_FAILED', `${path} in ${root} is not a regular file`);
    if (info.size > (options.maxBytes ?? 16 * 1024 * 1024)) {
      throw new OciSpecError('ROOTFS_READ_FAILED', `${path} in ${root} is too large (${info.size} bytes)`);
    }
    return await readFile(resolved, { encoding: 'utf8', ...(options.signal === undefined ? {} : { signal: options.signal }) });
  } catch (e) {
    if (e instanceof OciSpecError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OciSpecError('ROOTFS_READ_FAILED', `cannot read ${path} in ${root}: ${(e as Error).message}`, { cause: e });
  }
}

/** Host path of `path` inside `root` with symlinks resolved inside the root, or undefined if missing. */
async function resolveInRoot(root: string, path: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  let pending = posix.normalize(`/${path}`).split('/').filter((c) => c !== '');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    signal?.throwIfAborted();
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
      info = await lstat(host);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw new OciSpecError('ROOTFS_READ_FAILED', `cannot resolve ${path} in ${root}: ${(e as Error).message}`, { cause: e });
    }
    if (!info.isSymbolicLink()) {
      done.push(component);
      continue;
    }
    if (++links > MAX_LINKS) throw new OciSpecError('ROOTFS_READ_FAILED', `too many symlinks resolving ${path} in ${root}`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending = [...target.split('/').filter((c) => c !== ''), ...pending];
  }
  return posix.join(root, ...done);
}
