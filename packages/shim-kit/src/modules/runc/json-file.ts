import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Replaces a small JSON file atomically with respect to a crash of this process (temp file +
 * rename). No fsync: these files live in the volatile state dir, which a reboot clears anyway.
 */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, JSON.stringify(value));
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

/** The parsed JSON file, or undefined when it is missing or unreadable. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
