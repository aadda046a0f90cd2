import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';
import type { TarWriteEntry } from './tar-writer.js';
import { encodeTarHeader, TAR_END, tarPadding } from './tar-writer.js';

export interface TarDirectoryOptions {
  /** Path prefix inside the archive (default: none, entries are relative like `bin/sh`). */
  prefix?: string;
  /** Fixed mtime (seconds) for reproducible layers; default: each file's own. */
  mtime?: number;
  /** Write the end-of-archive blocks (default true; false to concatenate several trees). */
  end?: boolean;
  signal?: AbortSignal;
}

function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  // Linux dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
  return { devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
}

/**
 * Streams a directory tree as a tar archive, in sorted order (reproducible),
 * with hardlinks kept as hardlinks and file contents streamed from disk.
 * Extended attributes are not read.
 */
export async function* tarDirectory(dir: string, options: TarDirectoryOptions = {}): AsyncGenerator<Buffer> {
  const seen = new Map<string, string>();
  const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
  async function* walk(rel: string): AsyncGenerator<Buffer> {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      if (options.signal?.aborted) throw new ImageStoreError('ABORTED', 'tar of directory aborted', { cause: options.signal.reason });
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const path = join(dir, childRel);
      const st = await lstat(path);
      const archivePath = prefix === '' ? childRel : `${prefix}/${childRel}`;
      const base: TarWriteEntry = {
        path: archivePath, type: 'file', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: options.mtime ?? Math.floor(st.mtimeMs / 1000),
      };
      if (st.isDirectory()) {
        yield encodeTarHeader({ ...base, path: `${archivePath}/`, type: 'directory' }, 0);
        yield* walk(childRel);
      } else if (st.isSymbolicLink()) {
        yield encodeTarHeader({ ...base, type: 'symlink', linkname: await readlink(path) }, 0);
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seen.get(key) : undefined;
        if (first !== undefined) {
          yield encodeTarHeader({ ...base, type: 'hardlink', linkname: first }, 0);
          continue;
        }
        if (st.nlink > 1) seen.set(key, archivePath);
        yield encodeTarHeader(base, st.size);
        let sent = 0;
        for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, end: st.size === 0 ? undefined : st.size - 1 })) {
          if (st.size === 0) break;
          sent += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (sent !== st.size) throw new ImageStoreError('STORE_IO', `${path} changed size while being archived`);
        yield tarPadding(st.size);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        yield encodeTarHeader({ ...base, type: st.isCharacterDevice() ? 'char' : 'block', ...devNumbers(st.rdev) }, 0);
      } else if (st.isFIFO()) {
        yield encodeTarHeader({ ...base, type: 'fifo' }, 0);
      }
      // Sockets are not archived (tar skips them too).
    }
  }
  yield* walk('');
  if (options.end !== false) yield TAR_END;
}
