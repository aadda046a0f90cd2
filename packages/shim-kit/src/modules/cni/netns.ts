import { open, readFile, rm } from 'node:fs/promises';
import type { HostHelper } from '@shimkit/host-helper';
import { CniError } from './cni-error.js';

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Whether something is mounted on `path` in this mount namespace. */
export async function isMountPoint(path: string): Promise<boolean> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === path);
}

/**
 * Creates a network namespace pinned at `path`: a new empty file with a new net namespace
 * bind-mounted on it by the host helper, so no process has to keep it alive.
 * Fails (`NetnsFailed`) when the file already exists.
 */
export async function createNetns(path: string, options: { signal?: AbortSignal; helper: HostHelper }): Promise<void> {
  options.signal?.throwIfAborted();
  try {
    await (await open(path, 'wx', 0o444)).close();
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CniError('NetnsFailed', `cannot create network namespace file ${path}: ${exists ? 'it already exists' : (e as Error).message}`, { cause: e });
  }
  try {
    await options.helper.pinNamespaces({ net: path });
  } catch (e) {
    await rm(path, { force: true });
    throw new CniError('NetnsFailed', `cannot create network namespace ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Unmounts and deletes a pinned network namespace; succeeds when it is already gone. The
 * namespace itself disappears with its last user.
 */
export async function removeNetns(path: string, options: { helper: HostHelper }): Promise<void> {
  let lastError = '';
  for (let attempt = 0; await isMountPoint(path); attempt++) {
    if (attempt === 3) throw new CniError('NetnsFailed', `cannot unmount network namespace ${path}: ${lastError}`);
    await options.helper.unmount(path).catch((e: Error) => (lastError = e.message));
  }
  await rm(path, { force: true }).catch((e: unknown) => {
    throw new CniError('NetnsFailed', `cannot delete network namespace file ${path}: ${(e as Error).message}`, { cause: e });
  });
}
