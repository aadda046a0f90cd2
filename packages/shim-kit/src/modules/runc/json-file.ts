import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@shimkit/image-store';

/**
 * Replaces a small JSON file atomically with respect to a crash of this process (temp file +
 * rename). No fsync: these files live in the volatile state dir, which a reboot clears anyway.
 */
export function writeJsonFile(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value), { durable: false });
}

/** The parsed JSON file, or undefined when it is missing or unreadable. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
