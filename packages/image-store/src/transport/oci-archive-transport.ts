import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extractArchive, stageArchive } from './archive-file.js';
import type { ImageReader, ImageWriter } from './image-transport.js';
import { layoutReader, layoutWriter } from './layout-transport.js';

function location(file: string, refName: string | undefined): string {
  return `oci-archive:${file}${refName === undefined ? '' : `:${refName}`}`;
}

/** Reads an image from an OCI archive (a tar of an OCI layout), unpacked into a temp directory until close(). */
export async function ociArchiveReader(file: string, refName?: string, options: { signal?: AbortSignal } = {}): Promise<ImageReader> {
  const dir = await extractArchive(file, options);
  const inner = layoutReader(dir, refName, location(file, refName));
  const close = () => rm(dir, { recursive: true, force: true });
  return { ...inner, close, [Symbol.asyncDispose]: close };
}

/** Writes an image as an OCI archive: a layout staged beside `file`, packed and renamed into place on commit. */
export async function ociArchiveWriter(file: string, refName?: string): Promise<ImageWriter> {
  const stage = await stageArchive(file);
  try {
    const inner = await layoutWriter(join(stage.dir, 'layout'), refName, location(file, refName));
    return {
      ...inner,
      async commit(top, signal) {
        const digest = await inner.commit(top, signal);
        await stage.publish(signal, 'layout');
        return digest;
      },
      abort: () => stage.discard(),
    };
  } catch (e) {
    await stage.discard();
    throw e;
  }
}
