import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Device } from '@shimkit/oci-spec';
import { deviceOf } from '../spec/container-mounts.js';

// Directories of /dev that hold per-container or virtual entries, and nodes runc makes itself.
const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
const SKIPPED_NODES = new Set(['console', 'ptmx']);
const MAX_DEPTH = 8;
const MAX_DEVICES = 8192;

/**
 * The character and block devices under the host's `/dev` (symlinks not followed), for a
 * privileged container: containerd gives those every host device unless configured not to.
 * `/dev/pts`, `/dev/shm`, `/dev/mqueue`, `/dev/console` and `/dev/ptmx` are left to the runtime.
 */
export async function hostDevices(options: { root?: string; signal?: AbortSignal } = {}): Promise<Device[]> {
  const root = options.root ?? '/dev';
  const found: Device[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    options.signal?.throwIfAborted();
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (found.length >= MAX_DEVICES) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH && !(dir === root && SKIPPED_DIRS.has(entry.name))) await walk(path, depth + 1);
        continue;
      }
      if (!entry.isCharacterDevice() && !entry.isBlockDevice()) continue;
      if (dir === root && SKIPPED_NODES.has(entry.name)) continue;
      const info = await lstat(path).catch(() => undefined);
      if (info === undefined) continue;
      found.push(deviceOf(`/dev${path.slice(root.length)}`, info));
    }
  };
  await walk(root, 0);
  return found;
}
