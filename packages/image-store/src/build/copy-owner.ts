import { readFileInRoot, resolveImageUser } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/** The uid and gid of COPY/ADD `--chown=USER[:GROUP]`, names looked up in the rootfs's /etc/passwd and /etc/group. */
export async function copyOwner(rootfs: string, options: { chown: string; what: string }): Promise<{ uid: number; gid: number }> {
  const { chown, what } = options;
  const [user, group] = chown.split(':');
  const passwd = await readFileInRoot(rootfs, '/etc/passwd');
  const groups = await readFileInRoot(rootfs, '/etc/group');
  try {
    // A user alone gives its own primary group; `uid:gid` and names both work.
    const resolved = resolveImageUser(group === undefined ? user! : `${user}:${group}`, { ...(passwd ? { passwd } : {}), ...(groups ? { group: groups } : {}) });
    return { uid: resolved.uid, gid: group === undefined && /^\d+$/.test(user!) ? resolved.uid : resolved.gid };
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${what}: --chown=${chown}: ${(e as Error).message}`, { cause: e });
  }
}
