import { open, readFile, rm } from 'node:fs/promises';
import { CniError } from './cni-error.js';
import type { ProcessRunner } from '@shimkit/runc-driver';
import { runCommand } from './run-command.js';

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
 * bind-mounted on it (util-linux `unshare --net=<file>`), so no process has to keep it alive.
 * Fails (`NetnsFailed`) when the file already exists.
 */
export async function createNetns(path: string, options: { signal?: AbortSignal; runner?: ProcessRunner } = {}): Promise<void> {
  try {
    await (await open(path, 'wx', 0o444)).close();
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
    throw new CniError('NetnsFailed', `cannot create network namespace file ${path}: ${exists ? 'it already exists' : (e as Error).message}`, { cause: e });
  }
  const via = options.runner === undefined ? {} : { runner: options.runner };
  let res;
  try {
    res = await runCommand('unshare', [`--net=${path}`, 'true'], { timeoutMs: 30_000, ...options });
  } catch (e) {
    // Killed by an abort, unshare may or may not have mounted the namespace already.
    await removeNetns(path, via).catch(() => undefined);
    if ((e as Error).name === 'AbortError') throw e;
    throw new CniError('NetnsFailed', `cannot run unshare to create network namespace ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (res.code !== 0) {
    await removeNetns(path, via).catch(() => undefined);
    throw new CniError('NetnsFailed', `unshare --net=${path} failed: ${res.stderr.trim() || `exit code ${res.code}`}`);
  }
}

/**
 * Unmounts and deletes a pinned network namespace; succeeds when it is already gone. The
 * namespace itself disappears with its last user.
 */
export async function removeNetns(path: string, options: { runner?: ProcessRunner } = {}): Promise<void> {
  let lastError = '';
  for (let attempt = 0; await isMountPoint(path); attempt++) {
    if (attempt === 3) throw new CniError('NetnsFailed', `cannot unmount network namespace ${path}: ${lastError}`);
    const res = await runCommand('umount', [path], { timeoutMs: 30_000, ...options }).catch((e: unknown) => {
      throw new CniError('NetnsFailed', `cannot run umount for network namespace ${path}: ${(e as Error).message}`, { cause: e });
    });
    lastError = res.stderr.trim() || `exit code ${res.code}`;
  }
  await rm(path, { force: true }).catch((e: unknown) => {
    throw new CniError('NetnsFailed', `cannot delete network namespace file ${path}: ${(e as Error).message}`, { cause: e });
  });
}
