import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

/** Symlinks followed for one path at most (the kernel's bound). */
const MAX_SYMLINK_HOPS = 40;

/**
 * The host path of `path` inside the container's root `root`, symlinks followed as if `root` were
 * `/` (an absolute target starts again at `root`, `..` stops at it), so the result never leaves it.
 * Throws the fs error of a missing component (ENOENT), or ELOOP after too many links.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const pending = posix.resolve('/', path).split('/').filter((p) => p !== '');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = posix.join(root, ...resolved, part);
    const info = await lstat(host);
    if (!info.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw Object.assign(new Error(`too many symbolic links resolving ${path}`), { code: 'ELOOP' });
    const target = await readlink(host);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== ''));
  }
  return posix.join(root, ...resolved);
}
