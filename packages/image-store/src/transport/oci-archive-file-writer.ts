import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Descriptor, Digest } from '@shimkit/oci-spec';
import { ANNOTATION_REF_NAME, layoutBlobPath, OCI_LAYOUT_FILE, OCI_LAYOUT_INDEX_FILE, OCI_LAYOUT_VERSION } from '@shimkit/oci-spec';
import { syncDir } from '../content/atomic-write.js';
import { verifyStream } from '../content/verify-stream.js';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import type { FetchedManifest } from '../registry/registry-client.js';
import { encodeTarHeader, TAR_END, tarPadding, type TarWriteEntry } from '../tar/tar-writer.js';
import type { ImageWriter } from './image-transport.js';

const FILE: Omit<TarWriteEntry, 'path'> = { type: 'file', mode: 0o644, mtime: 0 };
const DIRECTORY: Omit<TarWriteEntry, 'path'> = { type: 'directory', mode: 0o755, mtime: 0 };

/**
 * Writes an image as an OCI archive (a tar of an OCI layout) straight into a temp file beside
 * `file`, renamed into place on commit. A blob's size is known before its bytes, so each blob
 * gets its tar entry reserved at the end of the file when its copy starts and streams into
 * that region while others stream into theirs: no staged layout packed again afterwards.
 * Every blob is verified (size and digest) as it is written; a failure removes the temp file.
 */
export async function ociArchiveFileWriter(file: string, refName: string | undefined, name: string): Promise<ImageWriter> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: FileHandle;
  try {
    fh = await open(temp, 'wx', 0o644);
  } catch (e) {
    throw new ImageStoreError('STORE_IO', `cannot write archive ${file}: ${(e as Error).message}`, { cause: e });
  }
  let end = 0;
  /** Reserves `length` bytes at the end of the archive; returns where they start. */
  const reserve = (length: number) => {
    const at = end;
    end += length;
    return at;
  };
  const writeAt = async (bytes: Uint8Array, position: number) => {
    let done = 0;
    while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
  };
  const appendEntry = async (path: string, data: Uint8Array | undefined, entry: Omit<TarWriteEntry, 'path'>) => {
    const size = data?.length ?? 0;
    const bytes = Buffer.concat([encodeTarHeader({ ...entry, path }, size), ...(data ? [data, tarPadding(size)] : [])]);
    await writeAt(bytes, reserve(bytes.length));
  };

  /** Digest -> its entry's write (a blob named twice is written once). */
  const blobs = new Map<Digest, Promise<void>>();
  const writeBlob = async (d: Pick<Descriptor, 'digest' | 'size'>, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, signal?: AbortSignal) => {
    const header = encodeTarHeader({ ...FILE, path: layoutBlobPath(d.digest) }, d.size);
    const start = reserve(header.length + d.size + tarPadding(d.size).length);
    await writeAt(header, start);
    let written = 0;
    for await (const chunk of verifyStream(source, d, `${name}: blob`)) {
      throwIfAborted(signal, `blob ${d.digest} of ${name}`);
      await writeAt(chunk, start + header.length + written);
      written += chunk.length;
    }
    await writeAt(tarPadding(d.size), start + header.length + d.size);
  };
  const putOnce = async (d: Pick<Descriptor, 'digest' | 'size'>, openSource: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>, signal?: AbortSignal) => {
    const running = blobs.get(d.digest);
    if (running !== undefined) {
      await running;
      return 'exists' as const;
    }
    const job = writeBlob(d, openSource(), signal);
    blobs.set(d.digest, job);
    await job;
    return 'uploaded' as const;
  };
  const putManifest = async (m: FetchedManifest, signal?: AbortSignal) => {
    await putOnce(m.descriptor, () => [m.bytes], signal);
  };

  try {
    await appendEntry('blobs/', undefined, DIRECTORY);
    await appendEntry('blobs/sha256/', undefined, DIRECTORY);
  } catch (e) {
    await fh.close();
    await rm(temp, { force: true });
    throw e;
  }
  let closed = false;
  return {
    name,
    acceptsIndex: true,
    verifiesBlobs: true,
    putBlob: (d, openSource, { signal }) => putOnce(d, openSource, signal),
    putManifest,
    async commit(top, signal) {
      await putManifest(top, signal);
      const entry: Descriptor = { mediaType: top.descriptor.mediaType, digest: top.descriptor.digest, size: top.descriptor.size };
      if (refName !== undefined) entry.annotations = { [ANNOTATION_REF_NAME]: refName };
      await appendEntry(OCI_LAYOUT_INDEX_FILE, Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [entry] })), FILE);
      await appendEntry(OCI_LAYOUT_FILE, Buffer.from(JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })), FILE);
      await writeAt(TAR_END, reserve(TAR_END.length));
      throwIfAborted(signal, `copy to ${name}`);
      await fh.sync();
      closed = true;
      await fh.close();
      await rename(temp, file);
      await syncDir(dirname(file));
      return top.descriptor.digest;
    },
    async abort() {
      if (!closed) await fh.close();
      closed = true;
      await rm(temp, { force: true });
    },
  };
}
