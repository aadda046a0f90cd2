import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { syncDir } from '../content/atomic-write.js';
import { ImageStoreError } from '../errors.js';
import { packLayout, unpackArchive } from '../layout/layout-archive.js';

/** Unpacks a tar archive into a new temp directory (unsafe paths refused, as for layers); the caller removes it. */
export async function extractArchive(file: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shimkit-archive-'));
  try {
    await unpackArchive(file, dir, options);
    return dir;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A staging directory beside `file` (same filesystem) whose tree (or its
 * `subdir`'s) becomes the archive `file` in one rename: a failure before leaves no file and no temp.
 */
export async function stageArchive(file: string): Promise<{ dir: string; publish(signal?: AbortSignal, subdir?: string): Promise<void>; discard(): Promise<void> }> {
  let dir: string;
  try {
    dir = await mkdtemp(join(dirname(file), `.${basename(file)}.staging-`));
  } catch (e) {
    throw new ImageStoreError('STORE_IO', `cannot write archive ${file}: ${(e as Error).message}`, { cause: e });
  }
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const discard = async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(temp, { force: true });
  };
  return {
    dir,
    discard,
    async publish(signal, subdir) {
      try {
        await packLayout(subdir === undefined ? dir : join(dir, subdir), temp, { signal, flush: true });
        await rename(temp, file);
        await syncDir(dirname(file));
      } finally {
        await discard();
      }
    },
  };
}
