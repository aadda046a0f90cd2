import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Every cgroup directory named `name` directly under a hierarchy root (v1 controllers and the v2 mount). */
export async function findCgroups(name: string): Promise<string[]> {
  const found: string[] = [];
  for (const hierarchy of await readdir(CGROUP_ROOT).catch(() => [] as string[])) {
    const dir = join(CGROUP_ROOT, hierarchy, name);
    if (await readdir(dir).then(() => true, () => false)) found.push(dir);
  }
  return found;
}

/** Removes a cgroup tree bottom-up (rmdir only succeeds on cgroups without processes). */
export async function removeCgroupTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name));
  await rmdir(dir).catch(() => undefined);
}
