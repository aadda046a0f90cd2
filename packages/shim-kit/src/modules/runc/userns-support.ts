import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';

const PROBE_MAPPING = [{ containerId: 0, hostId: 100000, length: 65536 }];

/**
 * Whether pods can have user namespaces of their own here: a user namespace is made and a
 * directory under `dir` mounted idmapped through it (what every such container's root
 * filesystem needs), then both are undone.
 */
export async function userNamespacesWork(helper: HostHelper, dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const probe = await mkdtemp(join(dir, 'userns-probe-'));
  const [user, source, target] = [join(probe, 'user'), join(probe, 'source'), join(probe, 'target')];
  try {
    await Promise.all([writeFile(user, ''), mkdir(source), mkdir(target)]);
    await helper.pinNamespaces({ user: { path: user, uidMappings: PROBE_MAPPING, gidMappings: PROBE_MAPPING } });
    try {
      await helper.idmapMount(source, target, user);
      await helper.unmount(target);
      return true;
    } finally {
      await helper.unmount(user);
    }
  } catch {
    return false;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}
