import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of the temp files {@link writeFileAtomic} leaves behind when the process dies mid-write. */
export const ATOMIC_TEMP_PREFIX = '.tmp-';

/** fsyncs a directory so a rename, create or unlink in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Creates `path` (it must not exist: EEXIST), lets `fill` write it, fsyncs (unless `sync` is
 * false) and closes it; with `syncDir`, its directory entry is fsynced at the same time (one
 * journal commit, where a rename needs a second). Removes the file when anything fails. A crash
 * before it resolves can leave a torn file, which readers must set aside as any unreadable one:
 * its write was never acknowledged.
 */
export async function writeNewFile(path: string, fill: (fh: FileHandle) => Promise<void>, options: { mode?: number; sync?: boolean; syncDir?: boolean } = {}): Promise<void> {
  const fh = await open(path, 'wx', options.mode ?? 0o644);
  try {
    await fill(fh);
    await Promise.all([options.sync === false ? undefined : fh.sync(), options.syncDir ? syncDir(dirname(path)) : undefined]);
  } catch (e) {
    await fh.close();
    await rm(path, { force: true });
    throw e;
  }
  await fh.close();
}

/**
 * Replaces a file so that readers (and a reboot) see either the old content or the new one: a
 * temp file in the same directory, fsync, rename over the target, then fsync of the directory
 * (`syncDir`, default true: a new file needs it to survive a power loss; without it a power loss
 * before the next journal commit may bring the old content back, never a torn one). `durable:
 * false` skips every fsync, for files a reboot clears anyway (a volatile state dir).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number; syncDir?: boolean; durable?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const durable = options.durable ?? true;
  const tmp = join(dir, `${ATOMIC_TEMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeNewFile(tmp, (fh) => fh.writeFile(data), { mode: options.mode ?? 0o644, sync: durable });
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (durable && (options.syncDir ?? true)) await syncDir(dir);
}
