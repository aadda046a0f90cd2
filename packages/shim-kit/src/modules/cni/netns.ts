import { open, rm } from 'node:fs/promises';
import type { HostHelper } from '@shimkit/host-helper';
import type { UserNamespaceMappings } from '../../interfaces/pod-network.js';
import { readMountinfo } from '../../host/mountinfo.js';
import { CniError } from './cni-error.js';

/** Whether something is mounted on `path` in this mount namespace. */
export async function isMountPoint(path: string): Promise<boolean> {
  return (await readMountinfo()).some((m) => m.mountPoint === path);
}

/** Where the user namespace a network namespace at `path` belongs to is pinned, if it has one of its own. */
export function usernsPinOf(path: string): string {
  return `${path}-user`;
}

async function newPinFile(path: string, what: string): Promise<void> {
  try {
    await (await open(path, 'wx', 0o444)).close();
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CniError('NetnsFailed', `cannot create ${what} file ${path}: ${exists ? 'it already exists' : (e as Error).message}`, { cause: e });
  }
}

/**
 * Creates a network namespace pinned at `path`: a new empty file with a new net namespace
 * bind-mounted on it by the host helper, so no process has to keep it alive. With
 * `userNamespace`, the network namespace belongs to a new user namespace with those mappings,
 * pinned beside it ({@link usernsPinOf}); its path is returned. Fails (`NetnsFailed`) when a
 * file already exists, and then leaves nothing behind.
 */
export async function createNetns(path: string, options: { signal?: AbortSignal; helper: HostHelper; userNamespace?: UserNamespaceMappings }): Promise<string | undefined> {
  options.signal?.throwIfAborted();
  const { userNamespace } = options;
  const userns = userNamespace === undefined ? undefined : { path: usernsPinOf(path), ...userNamespace };
  await newPinFile(path, 'network namespace');
  try {
    if (userns !== undefined) await newPinFile(userns.path, 'user namespace');
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
  try {
    await options.helper.pinNamespaces({ net: path, ...(userns === undefined ? {} : { user: userns }) });
  } catch (e) {
    await Promise.all([path, userns?.path].map((p) => (p === undefined ? undefined : rm(p, { force: true }))));
    throw new CniError('NetnsFailed', `cannot create network namespace ${path}: ${(e as Error).message}`, { cause: e });
  }
  return userns?.path;
}

async function unpin(path: string, helper: HostHelper): Promise<void> {
  let lastError = '';
  for (let attempt = 0; await isMountPoint(path); attempt++) {
    if (attempt === 3) throw new CniError('NetnsFailed', `cannot unmount namespace ${path}: ${lastError}`);
    await helper.unmount(path).catch((e: Error) => (lastError = e.message));
  }
  await rm(path, { force: true }).catch((e: unknown) => {
    throw new CniError('NetnsFailed', `cannot delete namespace file ${path}: ${(e as Error).message}`, { cause: e });
  });
}

/**
 * Unmounts and deletes a pinned network namespace (and the user namespace pinned beside it);
 * succeeds when they are already gone. A namespace itself disappears with its last user.
 */
export async function removeNetns(path: string, options: { helper: HostHelper }): Promise<void> {
  await unpin(path, options.helper);
  await unpin(usernsPinOf(path), options.helper);
}
