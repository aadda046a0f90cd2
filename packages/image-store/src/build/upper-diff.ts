import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import { ImageStoreError } from '../errors.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../layer/entry-path.js';
import { OPAQUE_XATTR } from '../layer/overlay-tree.js';
import type { TarWriteEntry } from '../tar/tar-writer.js';
import { encodeTarHeader, TAR_END } from '../tar/tar-writer.js';
import { tarFileEntry } from '../tar/tar-file-entry.js';

/** Extended attributes that are overlayfs's own bookkeeping (opaque, origin, redirect...), not the file's. */
const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
/** A renamed directory or a metadata-only copy-up: the content is still in a lower layer. */
const REFUSED_XATTRS = ['trusted.overlay.redirect', 'trusted.overlay.metacopy'];

/**
 * Streams the upper directory of an overlay mount (what a build step changed) as an OCI layer
 * tar: new and changed files with their modes, owners, times and extended attributes (but
 * overlayfs's own `trusted.overlay.*`),
 * hardlinks kept as hardlinks, a deletion (a 0:0 character device) as a `.wh.` whiteout, and a
 * replaced directory (`trusted.overlay.opaque=y`) as the directory plus `.wh..wh..opq`.
 * Entries are sorted by name, so the same changes give the same layer. `end: false` leaves out
 * the end-of-archive blocks (for ImageBuilder.addLayerTar).
 */
export async function* diffUpperDir(upper: string, options: { helper: HostHelper; signal?: AbortSignal; end?: boolean }): AsyncGenerator<Buffer> {
  const { helper, signal } = options;
  const links = new Map<string, string>();
  async function xattrsOf(path: string): Promise<Map<string, Buffer> | undefined> {
    let found: Map<string, Buffer> | undefined;
    for (const name of await helper.listXattrs(path)) {
      if (REFUSED_XATTRS.includes(name)) {
        throw new ImageStoreError('LAYER_UNSUPPORTED_ENTRY', `${path} has ${name}: the overlay was mounted with redirect_dir or metacopy, whose upper directories are not whole layers`);
      }
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
      const value = await helper.getXattr(path, name);
      if (value !== null) (found ??= new Map()).set(name, value);
    }
    return found;
  }
  async function* walk(rel: string): AsyncGenerator<Buffer> {
    const names = (await readdir(join(upper, rel))).sort();
    for (const name of names) {
      if (signal?.aborted) throw new ImageStoreError('ABORTED', 'layer diff aborted', { cause: signal.reason });
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const path = join(upper, childRel);
      const st = await lstat(path);
      const base: TarWriteEntry = { path: childRel, type: 'file', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isCharacterDevice() && st.rdev === 0) {
        yield encodeTarHeader({ path: rel === '' ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`, type: 'file', mode: 0, mtime: base.mtime }, 0);
        continue;
      }
      if (st.isDirectory()) {
        const xattrs = await xattrsOf(path);
        yield encodeTarHeader({ ...base, path: `${childRel}/`, type: 'directory', ...(xattrs ? { xattrs } : {}) }, 0);
        if ((await helper.getXattr(path, OPAQUE_XATTR).catch(() => null))?.toString() === 'y') {
          yield encodeTarHeader({ path: `${childRel}/${OPAQUE_WHITEOUT}`, type: 'file', mode: 0, mtime: base.mtime }, 0);
        }
        yield* walk(childRel);
      } else {
        yield* tarFileEntry(path, st, { entry: base, links, xattrsOf });
      }
    }
  }
  yield* walk('');
  if (options.end !== false) yield TAR_END;
}
