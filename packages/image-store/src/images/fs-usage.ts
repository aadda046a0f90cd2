import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../errors.js';

/** Disk use of the store, for CRI ImageFsInfo. */
export interface FsUsage {
  /** The directory measured. */
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

/**
 * Adds up the allocated bytes and the inodes under `root`, each inode once
 * (hardlinks), without crossing into other filesystems: a mounted container
 * rootfs is a view of snapshots and upper directories already counted.
 */
export async function measureUsage(root: string, options: { signal?: AbortSignal } = {}): Promise<FsUsage> {
  const top = await lstat(root);
  let usedBytes = 0;
  let inodesUsed = 0;
  const seen = new Set<number>();
  const walk = async (dir: string): Promise<void> => {
    throwIfAborted(options.signal, 'fs usage');
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(dir, name);
      const st = await lstat(path).catch(() => undefined);
      if (st === undefined || st.dev !== top.dev) continue;
      if (!seen.has(st.ino)) {
        seen.add(st.ino);
        inodesUsed++;
        usedBytes += st.blocks * 512;
      }
      if (st.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return { mountpoint: root, usedBytes, inodesUsed };
}
