import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes a test's cgroup parent from every hierarchy, with the container cgroups a failed test
 * left below it (empty once their runners are gone).
 */
export async function removeCgroupParent(cgroupParent: string): Promise<void> {
  for (const controller of await readdir('/sys/fs/cgroup')) {
    const parent = join('/sys/fs/cgroup', controller, cgroupParent);
    for (const child of await readdir(parent, { withFileTypes: true }).catch(() => [])) {
      if (child.isDirectory()) await rmdir(join(parent, child.name)).catch(() => undefined);
    }
    await rmdir(parent).catch(() => undefined);
  }
}
