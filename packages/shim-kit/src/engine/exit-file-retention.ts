import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecords } from './container-records.js';

/**
 * How long the exit file of a removed container stays. A `--rm` container is removed right
 * after its exit file is written; `wait` in another process that reads the file a moment later
 * (a loaded machine) must still find its code, as podman's `wait` does.
 */
export const REMOVED_EXIT_FILE_MS = 5 * 60_000;

/** Deletes exit files of containers that have no record any more and are older than REMOVED_EXIT_FILE_MS. */
export async function pruneExitFiles(exitDir: string, records: Pick<ContainerRecords, 'read'>, now = Date.now()): Promise<void> {
  const names = await readdir(exitDir).catch(() => [] as string[]);
  for (const name of names) {
    const file = join(exitDir, name);
    const modified = await stat(file).then((s) => s.mtimeMs, () => now);
    if (now - modified < REMOVED_EXIT_FILE_MS || (await records.read(name)) !== undefined) continue;
    await rm(file, { force: true });
  }
}
