import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { syncDir } from '../content/atomic-write.js';
import { ImageStoreError } from '../errors.js';
import { applyLayer } from '../layer/apply-layer.js';
import { tarDirectory } from '../tar/tar-directory.js';

/** Unpacks a tar archive into a new temp directory (unsafe paths refused, as for layers); the caller removes it. */
export async function extractArchive(file: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shimkit-archive-'));
  try {
    await applyLayer(dir, createReadStream(file, { highWaterMark: 1 << 20 }), { ownership: false, xattrs: false, signal: options.signal });
    return dir;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    const cause = (e as { cause?: NodeJS.ErrnoException }).cause;
    if (cause?.code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageStoreError('NOT_FOUND', `archive ${file} does not exist`, { cause: e });
    throw e;
  }
}

/**
 * A staging directory beside `file` (same filesystem), whose tree becomes
 * (or its `subdir`'s) becomes the archive `file` in one rename: a failure before leaves no file and no temp.
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
        await pipeline(Readable.from(tarDirectory(subdir === undefined ? dir : join(dir, subdir), { mtime: 0, signal })), createWriteStream(temp, { flags: 'wx', flush: true }), { signal });
        await rename(temp, file);
        await syncDir(dirname(file));
      } finally {
        await discard();
      }
    },
  };
}
