import { createReadStream, type Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { ImageStoreError } from '../errors.js';
import type { TarWriteEntry } from './tar-writer.js';
import { encodeTarHeader, tarPadding } from './tar-writer.js';

/** Options of {@link tarFileEntry}. */
export interface TarFileEntryOptions {
  /** The entry's header fields (path, mode, owner, mtime); the type and link come from the file. */
  entry: TarWriteEntry;
  /** `dev:ino` -> archive path of the first link of each multiply linked file seen so far. */
  links: Map<string, string>;
  /** Extended attributes of a regular file's first link. */
  xattrsOf?: (path: string) => Promise<Map<string, Buffer> | undefined>;
}

/**
 * The tar entries of one file that is not a directory: a regular file with its contents (or a
 * hardlink to its first link), a symlink, a device or a FIFO. Sockets give nothing, as tar
 * leaves them out.
 */
export async function* tarFileEntry(path: string, st: Stats, options: TarFileEntryOptions): AsyncGenerator<Buffer> {
  const { entry, links } = options;
  if (st.isSymbolicLink()) {
    yield encodeTarHeader({ ...entry, type: 'symlink', linkname: await readlink(path) }, 0);
  } else if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) {
      yield encodeTarHeader({ ...entry, type: 'hardlink', linkname: first }, 0);
      return;
    }
    if (st.nlink > 1) links.set(key, entry.path);
    const xattrs = await options.xattrsOf?.(path);
    yield encodeTarHeader({ ...entry, ...(xattrs ? { xattrs } : {}) }, st.size);
    let sent = 0;
    if (st.size > 0) {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, end: st.size - 1 })) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    if (sent !== st.size) throw new ImageStoreError('STORE_IO', `${path} changed size while being archived`);
    yield tarPadding(st.size);
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    yield encodeTarHeader({ ...entry, type: st.isCharacterDevice() ? 'char' : 'block', ...devNumbers(st.rdev) }, 0);
  } else if (st.isFIFO()) {
    yield encodeTarHeader({ ...entry, type: 'fifo' }, 0);
  }
}

function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  // Linux dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
  return { devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
}
