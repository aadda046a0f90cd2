import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of temp files {@link writeFileAtomic} leaves behind if the process dies mid-write. */
export const TEMP_PREFIX = '.tmp-';

/**
 * Writes a file so that readers (and a reboot) see either the old content or the new one:
 * a temp file in the same directory, fsync, rename over the target, then (with `syncDir`, which
 * a new file needs to survive a power loss) fsync of the directory. Without it, a power loss
 * before the file system's next journal commit may bring the old content back, never a torn one.
 */
export async function writeFileAtomic(path: string, data: string, options: { syncDir: boolean } = { syncDir: true }): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(data, 'utf8');
    await file.sync();
  } catch (e) {
    await file.close();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  if (options.syncDir) await syncDir(dir);
}

/**
 * Creates a file that must not exist yet and makes it durable: its data and its directory entry
 * are fsynced at once (one journal commit where {@link writeFileAtomic}'s rename needs a second).
 * A crash before it resolves can leave a torn file, which readers must set aside as they would
 * any unreadable one; the write itself was never acknowledged. Fails with EEXIST when the file
 * is there.
 */
export async function writeNewFile(path: string, data: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(data, 'utf8');
    await Promise.all([file.sync(), syncDir(dirname(path))]);
  } catch (e) {
    await file.close();
    await unlink(path).catch(() => undefined);
    throw e;
  }
  await file.close();
}

/** fsyncs a directory so a rename or unlink in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
