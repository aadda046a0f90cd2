import { readdir, readlink, stat, statfs } from 'node:fs/promises';

const NSFS_MAGIC = 0x6e736673;

/** The inode of the network namespace at `path` (a pinned nsfs file or /proc/<pid>/ns/net); undefined when it is not one. */
async function namespaceInode(path: string): Promise<bigint | undefined> {
  try {
    if ((await statfs(path)).type !== NSFS_MAGIC) return undefined;
    return (await stat(path, { bigint: true })).ino;
  } catch {
    return undefined;
  }
}

/** The inode of the network namespace process `pid` is in; undefined when it is gone or not ours to see. */
async function processNamespace(pid: number): Promise<bigint | undefined> {
  try {
    const match = /^net:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/ns/net`));
    return match?.[1] === undefined ? undefined : BigInt(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * A process in each of these network namespaces (by path), for reading the namespace's
 * /proc/<pid>/net/dev without entering it. `hints` (e.g. a pod's infra pid) are checked first;
 * the others are found in one pass over /proc. A namespace no process is in (a pod whose
 * namespaces are pinned and whose containers all exited) is left out, as is a path that is
 * not a namespace.
 */
export async function processesInNetns(paths: readonly string[], hints: ReadonlyMap<string, number> = new Map()): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const wanted = new Map<bigint, string[]>();
  await Promise.all(
    paths.map(async (path) => {
      const inode = await namespaceInode(path);
      if (inode === undefined) return;
      const hint = hints.get(path);
      if (hint !== undefined && (await processNamespace(hint)) === inode) {
        found.set(path, hint);
        return;
      }
      wanted.set(inode, [...(wanted.get(inode) ?? []), path]);
    }),
  );
  if (wanted.size === 0) return found;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).map(Number);
  await Promise.all(
    pids.map(async (pid) => {
      const inode = await processNamespace(pid);
      for (const path of (inode === undefined ? undefined : wanted.get(inode)) ?? []) if (!found.has(path)) found.set(path, pid);
    }),
  );
  return found;
}
