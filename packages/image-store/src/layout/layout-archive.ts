import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { HostHelper } from '@shimkit/host-helper';
import { pipeline } from 'node:stream/promises';
import { ImageStoreError } from '../errors.js';
import { applyLayer } from '../layer/apply-layer.js';
import { tarDirectory } from '../tar/tar-directory.js';

/** Packs an OCI layout directory into a tar archive file (the `oci-archive` form); `flush` syncs it before closing. */
export async function packLayout(dir: string, file: string, options: { signal?: AbortSignal; flush?: boolean } = {}): Promise<void> {
  await pipeline(Readable.from(tarDirectory(dir, { mtime: 0, signal: options.signal })), createWriteStream(file, { flags: 'wx', flush: options.flush ?? false }), { signal: options.signal });
}

/** Unpacks a tar archive into `dir` with the same refusal of unsafe paths as layers; a missing file is NOT_FOUND. */
export async function unpackArchive(file: string, dir: string, options: { helper?: HostHelper; signal?: AbortSignal } = {}): Promise<void> {
  // Opened first: a stream's own open fails later, as an 'error' nobody may be listening for yet.
  let archive: FileHandle;
  try {
    archive = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageStoreError('NOT_FOUND', `archive ${file} does not exist`, { cause: e });
    throw e;
  }
  const source = archive.createReadStream({ highWaterMark: 1 << 20 });
  try {
    await applyLayer(dir, source, { ownership: false, xattrs: false, helper: options.helper, signal: options.signal });
  } finally {
    source.destroy(); // closes the file, also when the apply stopped before the end
  }
}

/** Runs `use` on a fresh temp directory under `scratch` (same filesystem as the store), removed afterwards. */
export async function withTempDir<T>(scratch: string, use: (dir: string) => Promise<T>): Promise<T> {
  // The pid lets another process opening the store tell a crashed process's leftovers from a live one's.
  const dir = await mkdtemp(join(scratch, `.archive-${process.pid}-`));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Unpacks an OCI layout tar archive into a fresh temp directory next to
 * `scratch` (with the same refusal of unsafe paths as layers), runs `use` on
 * it, and removes it afterwards.
 */
export async function withUnpackedLayout<T>(file: string, scratch: string, use: (dir: string) => Promise<T>, options: { helper?: HostHelper; signal?: AbortSignal } = {}): Promise<T> {
  return withTempDir(scratch, async (dir) => {
    await unpackArchive(file, dir, options);
    return use(dir);
  });
}

