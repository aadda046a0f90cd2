import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';
import type { TarWriteEntry } from './tar-writer.js';
import { encodeTarHeader, TAR_END } from './tar-writer.js';
import { tarFileEntry } from './tar-file-entry.js';

export interface TarDirectoryOptions {
  /** Path prefix inside the archive (default: none, entries are relative like `bin/sh`). */
  prefix?: string;
  /** Fixed mtime (seconds) for reproducible layers; default: each file's own. */
  mtime?: number;
  /** Write the end-of-archive blocks (default true; false to concatenate several trees). */
  end?: boolean;
  signal?: AbortSignal;
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
      } else {
        yield* tarFileEntry(path, st, { entry: base, links: seen });
      }
    }
  }
  yield* walk('');
  if (options.end !== false) yield TAR_END;
}
