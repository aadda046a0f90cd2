import { rm } from 'node:fs/promises';
import { extractArchive } from './archive-file.js';
import type { ImageReader, ImageWriter } from './image-transport.js';
import { layoutReader } from './layout-transport.js';
import { ociArchiveFileWriter } from './oci-archive-file-writer.js';

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

/** Writes an image as an OCI archive, straight into the tar file (see ociArchiveFileWriter), renamed into place on commit. */
export async function ociArchiveWriter(file: string, refName?: string): Promise<ImageWriter> {
  return ociArchiveFileWriter(file, refName, location(file, refName));
}
