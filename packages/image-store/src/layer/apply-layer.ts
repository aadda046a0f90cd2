import { constants as C, linkSync, lstatSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { copyFile, link, lchown, lutimes, mkdir, open, readdir, rm, symlink, chmod, chown, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import { ImageStoreError, isImageStoreError, throwIfAborted } from '../errors.js';
import type { TarEntry } from '../tar/tar-reader.js';
import { readTar } from '../tar/tar-reader.js';
import { entryComponents, OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './entry-path.js';
import type { SmallFileJob } from './file-writer-pool.js';
import type { LayerTree } from './layer-tree.js';
import { DirectoryTree, lstatOrNull, parentOf } from './layer-tree.js';
import { OPAQUE_XATTR, OverlayTree } from './overlay-tree.js';
import type { RootView } from './root-resolver.js';
import { resolveInRoot } from './root-resolver.js';
import { SmallFileBatcher } from './small-file-batcher.js';
import { systemCall } from '../system-call.js';

/** How whiteout entries are applied. */
export type WhiteoutMode =
  /** Delete the named path from `root`, which holds the merged lower layers (copy snapshots). */
  | 'delete'
  /** Record them as overlayfs does (0:0 char device, `trusted.overlay.opaque=y`); `root` holds this layer alone. */
  | 'overlay';

export interface ApplyLayerOptions {
  whiteouts?: WhiteoutMode;
  /** chown entries to their uid/gid; defaults to true when running as root. */
  ownership?: boolean;
  /** Apply PAX `SCHILY.xattr.*` extended attributes (default true). */
  xattrs?: boolean;
  /**
   * Overlay mode only: directories of the lower layers, topmost first. Paths
   * are resolved in the view they merge into with `root` (as overlayfs mounts
   * it); a hardlink target found only there is copied up. A function is called
   * only once a path is not in `root` itself.
   */
  lowerDirs?: string[] | (() => Promise<string[]>);
  /**
   * Makes device nodes, fifos and xattrs (Node has no mknod(2) or setxattr(2)); left open.
   * Without one, a helper of its own is started when a layer first needs it and ended with the apply.
   */
  helper?: HostHelper;
  signal?: AbortSignal;
}

export interface ApplyLayerResult {
  entries: number;
  /** Bytes of regular-file content written. */
  bytes: number;
}

function lstatSyncOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** mknod(2) file type bits. */
const FILE_TYPE = { char: C.S_IFCHR, block: C.S_IFBLK, fifo: C.S_IFIFO } as const;

/** Files up to this size (without xattrs) are buffered and written in the background, several at once. */
const SMALL_FILE = 128 * 1024;

/**
 * Applies one uncompressed layer tar stream to the directory `root`.
 *
 * Paths are taken as the image's own filesystem sees them, with `root` as its
 * "/": when a directory above an entry (or above a whiteout, an opaque marker
 * or a hardlink's target) is a symlink, from a lower layer or from this one,
 * the path goes on at the link's target, an absolute target starting again at
 * `root` and ".." never climbing above it, chains followed up to 40 links
 * (more, as a loop, is LAYER_UNSAFE_PATH). So `bin/tool` over a `bin ->
 * usr/bin` link is written as `usr/bin/tool`. An entry's own name is never
 * followed: it replaces a symlink there. In overlay mode the links and
 * directories are those of the merged view (`root` over `lowerDirs`), and the
 * entry is written in `root` at the resolved path, directories missing there
 * made (copied up from a lower layer when one has them).
 *
 * Safe by construction: entry names and hardlink targets with ".." or an
 * absolute path are refused (see entryComponents); after resolution every
 * parent is a real directory under `root`, so nothing is ever made, changed or
 * removed outside it; files are created with O_EXCL|O_NOFOLLOW after removing
 * what was there. Directory mtimes are set last, deepest first, each only if
 * no symlink has come onto its path since.
 */
export async function applyLayer(root: string, tar: AsyncIterable<Uint8Array>, options: ApplyLayerOptions = {}): Promise<ApplyLayerResult> {
  const applier = new LayerApplier(root, options);
  try {
    await applier.begin();
    for await (const { entry, body } of readTar(tar)) {
      throwIfAborted(options.signal, 'layer apply');
      await applier.apply(entry, body);
    }
    await applier.finish();
  } catch (e) {
    // Nothing may keep writing once the caller hears of the failure.
    await applier.settle().catch(() => undefined);
    if (isImageStoreError(e)) throw e;
    throw new ImageStoreError('LAYER_APPLY_FAILED', `applying layer to ${root} failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await applier.closeOwnHelper();
  }
  return { entries: applier.entries, bytes: applier.bytes };
}

class LayerApplier {
  entries = 0;
  private largeBytes = 0;
  private readonly mode: WhiteoutMode;
  private readonly chownEntries: boolean;
  private readonly xattrs: boolean;
  /** The tree the entries' paths are resolved in. */
  private readonly tree: LayerTree;
  /** The tree for resolution: a path a small file is still being written to is read only once it is there. */
  private readonly view: RootView;
  /** Paths (resolved) created by this layer: an opaque whiteout keeps them. */
  private readonly created = new Set<string>();
  /**
   * Directories this apply made (so empty when made; the root too when it was empty, as every
   * new overlay snapshot is), and every path it made anything at: a name in such a directory
   * that is not in `made` does not exist, so the lstat of each entry (which blocks on a
   * directory the writer threads are filling) is skipped.
   */
  private readonly freshDirs = new Set<string>();
  private readonly made = new Set<string>();
  /** Directories (resolved paths) whose mtime is set at the end. */
  private readonly dirTimes: Array<{ rel: string; mtime: number }> = [];
  private readonly smallFiles = new SmallFileBatcher();
  private readonly umask = process.umask();
  private readonly uid = process.getuid?.() ?? -1;
  private readonly gid = process.getgid?.() ?? -1;
  /** The given helper, or one of its own (its process starts only when a layer needs it). */
  private readonly helperLease: HelperLease;

  constructor(private readonly root: string, options: ApplyLayerOptions) {
    this.mode = options.whiteouts ?? 'delete';
    this.chownEntries = options.ownership ?? process.getuid?.() === 0;
    this.xattrs = options.xattrs ?? true;
    this.helperLease = leaseHelper(options.helper);
    this.tree = this.mode === 'overlay'
      ? new OverlayTree(root, {
        lowerDirs: options.lowerDirs,
        ownership: this.chownEntries,
        // Its SystemCallError names the call and the path, and has the errno's code (ENOTSUP: no xattrs there).
        getXattr: (path, name) => this.helper.getXattr(path, name),
        setXattr: (path, name, value) => this.setXattr(path, name, value),
        onCopyUp: (rel, mtime) => this.dirTimes.push({ rel, mtime }),
        onMakeDir: (rel) => this.madeDir(rel),
      })
      : new DirectoryTree(root, (rel) => this.madeDir(rel));
    this.view = {
      cached: (rel) => this.tree.cached(rel),
      lookup: async (rel) => {
        if (this.smallFiles.touchesPending(rel.split('/'))) await this.settle();
        return this.tree.lookup(rel);
      },
    };
  }

  async begin(): Promise<void> {
    if ((await readdir(this.root)).length === 0) this.freshDirs.add('');
  }

  /** Records a new, empty directory at `rel`. */
  private madeDir(rel: string): void {
    this.made.add(rel);
    this.freshDirs.add(rel);
  }

  /** What is at `target` (`rel` in the root), not followed; known without a call when its directory is fresh. */
  private existingAt(rel: string, target: string): Stats | null {
    if (this.freshDirs.has(parentOf(rel)) && !this.made.has(rel)) return null;
    return lstatSyncOrNull(target);
  }

  private get helper(): HostHelper {
    return this.helperLease.helper;
  }

  /** Ends the helper it made (a given one stays open). */
  closeOwnHelper(): Promise<void> {
    return this.helperLease.release();
  }

  /** A device node or fifo at `path`, which must not exist, with `mode`'s permission bits exactly. */
  private makeNode(path: string, type: keyof typeof FILE_TYPE, mode: number, major = 0, minor = 0): Promise<void> {
    return systemCall('LAYER_APPLY_FAILED', `mknod ${path}`, () => this.helper.mknod(path, FILE_TYPE[type] | (mode & 0o7777), major, minor));
  }

  /** Sets an extended attribute on `path` itself (never on a symlink's target). */
  private setXattr(path: string, name: string, value: Buffer): Promise<void> {
    return systemCall('LAYER_APPLY_FAILED', `setxattr ${name} on ${path}`, () => this.helper.setXattr(path, name, value));
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  private unsafe(entry: TarEntry, why: string): ImageStoreError {
    return new ImageStoreError('LAYER_UNSAFE_PATH', `layer entry ${JSON.stringify(entry.path)} refused: ${why}`);
  }

  /**
   * The path `parts` resolved inside the root (see resolveInRoot): null when
   * a parent is missing and `create` is false; with `create` missing parents
   * are made and every parent is a directory of this layer's own.
   */
  private async resolve(entry: TarEntry, parts: readonly string[], create: boolean): Promise<string[] | null> {
    const resolved = await resolveInRoot(this.view, parts, {
      makeDir: create ? (rel) => this.tree.makeDir(rel) : undefined,
      refuse: (why) => this.unsafe(entry, why),
    });
    if (resolved !== null && create && this.mode === 'overlay' && resolved.length > 1) await this.tree.ownDirs(resolved.slice(0, -1).join('/'));
    return resolved;
  }

  /**
   * The common case, decided without waiting: every parent of `parts` is
   * known to be a directory of this layer's own, so the path is resolved as
   * it is named.
   */
  private knownParents(parts: readonly string[]): boolean {
    let rel = '';
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel === '' ? parts[i]! : `${rel}/${parts[i]!}`;
      if (!this.tree.isOwnDir(rel)) return false;
    }
    return true;
  }

  /** A hardlink's target resolved like an entry path (its last component is the file itself); null when a parent is missing. */
  private async resolveLinkTarget(entry: TarEntry): Promise<string[] | null> {
    const parts = entryComponents(entry.linkname, 'hardlink target');
    if (parts.length === 0) throw this.unsafe(entry, 'a hardlink cannot point at the layer root');
    return this.resolve(entry, parts, false);
  }

  /** Removes whatever is at `rel` (recursively), once no small file is still being written there. */
  private async removePath(rel: string): Promise<void> {
    if (this.smallFiles.touchesPendingBelow(rel)) await this.settle();
    await rm(this.abs(rel), { recursive: true, force: true });
    this.tree.forget(rel);
  }

  /** Waits for every small-file write in flight; rethrows the first failure. */
  async settle(): Promise<void> {
    await this.smallFiles.settle();
  }

  /** Bytes of regular-file content written. */
  get bytes(): number {
    return this.largeBytes + this.smallFiles.bytes;
  }

  async apply(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    this.entries++;
    this.smallFiles.check();
    const parts = entryComponents(entry.path);
    const smallFile = entry.type === 'file' && entry.size <= SMALL_FILE && entry.xattrs.size === 0;
    // Only plain small files overlap; anything else waits for them, so ordering between entries holds.
    if (!smallFile) await this.settle();
    const name = parts[parts.length - 1];
    if (name === undefined) {
      if (entry.type !== 'directory') throw this.unsafe(entry, `the layer root can only be a directory, not a ${entry.type}`);
      await this.setMetadata(entry, this.root, true);
      this.dirTimes.push({ rel: '', mtime: entry.mtime });
      return;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) return this.whiteout(entry, parts, name);

    const resolved = this.knownParents(parts) ? parts : (await this.resolve(entry, parts, true))!;
    // A small file waits for one still being written at its path or above it (the parents
    // were waited for as they were resolved; this covers its own name).
    if (smallFile && this.smallFiles.touchesPending(resolved)) await this.settle();
    const rel = resolved.join('/');
    const target = this.abs(rel);
    if (entry.type === 'hardlink' && (await this.linkNewName(entry, target))) {
      this.tree.forget(rel);
      this.created.add(rel);
      this.made.add(rel);
      return;
    }
    const existing = this.existingAt(rel, target);
    if (existing !== null && !(entry.type === 'directory' && existing.isDirectory())) {
      if (entry.type === 'hardlink' && (await this.resolveLinkTarget(entry))?.join('/') === rel) return;
      await this.removePath(rel);
    } else if (existing === null || entry.xattrs.size > 0) {
      // Something new here (in overlay mode it may hide a lower layer's path), or xattrs that may change how it merges.
      this.tree.forget(rel);
    }
    this.created.add(rel);
    this.made.add(rel);

    switch (entry.type) {
      case 'directory':
        if (existing === null || !existing.isDirectory()) {
          await mkdir(target, { mode: 0o700 });
          this.freshDirs.add(rel);
        }
        this.tree.madeDir(rel);
        await this.setMetadata(entry, target, true);
        this.dirTimes.push({ rel, mtime: entry.mtime });
        return;
      case 'file':
        if (smallFile) return this.startSmallFile(entry, rel, target, body);
        return this.writeFile(entry, target, body);
      case 'symlink':
        await symlink(entry.linkname, target);
        await this.setMetadata(entry, target, false);
        return;
      case 'hardlink':
        return this.hardlink(entry, target);
      case 'char':
      case 'block':
      case 'fifo':
        await this.makeNode(target, entry.type, entry.mode, entry.devmajor, entry.devminor);
        await this.setMetadata(entry, target, true);
        return;
    }
  }

  private async writeFile(entry: TarEntry, target: string, body: AsyncIterable<Buffer>): Promise<void> {
    // Created with its final permission bits when the umask allows, saving a chmod per file (most of them).
    const plainMode = (entry.mode & 0o7000) === 0 && (entry.mode & this.umask) === 0;
    const fh = await open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, plainMode ? entry.mode : 0o600);
    try {
      for await (const chunk of body) {
        await fh.write(chunk);
        this.largeBytes += chunk.length;
      }
      // A new file already belongs to this process's uid/gid.
      if (this.chownEntries && (entry.uid !== this.uid || entry.gid !== this.gid)) await fh.chown(entry.uid, entry.gid);
      // After chown, which clears set-id bits.
      if (!plainMode) await fh.chmod(entry.mode);
      await fh.utimes(entry.mtime, entry.mtime);
    } finally {
      await fh.close();
    }
    await this.setXattrs(entry, target);
  }

  /**
   * Small files are read from the stream and handed to writer threads in
   * batches, so their syscalls run while this thread keeps parsing the layer.
   * `target` is the resolved path: every directory above it is a real one.
   */
  private async startSmallFile(entry: TarEntry, rel: string, target: string, body: AsyncIterable<Buffer>): Promise<void> {
    const data = new Uint8Array(entry.size);
    let at = 0;
    for await (const chunk of body) {
      data.set(chunk, at);
      at += chunk.length;
    }
    const plainMode = (entry.mode & 0o7000) === 0 && (entry.mode & this.umask) === 0;
    const job: SmallFileJob = { path: target, data, createMode: plainMode ? entry.mode : 0o600, mtime: entry.mtime };
    if (!plainMode) job.chmod = entry.mode;
    if (this.chownEntries && (entry.uid !== this.uid || entry.gid !== this.gid)) job.chown = { uid: entry.uid, gid: entry.gid };
    await this.smallFiles.add(rel, job);
  }

  /**
   * The common hardlink: a new name for a file of this layer (busybox has hundreds). One link
   * call, no lstat of either path, made synchronously like the lstat of each entry (a thread
   * pool round trip costs several times the call); false sends every other case (the name
   * exists, the target is missing here or is a directory) through the full checks.
   */
  private async linkNewName(entry: TarEntry, target: string): Promise<boolean> {
    const parts = entryComponents(entry.linkname, 'hardlink target');
    if (parts.length === 0) return false;
    const resolved = this.knownParents(parts) ? parts : await this.resolve(entry, parts, false);
    if (resolved === null) return false;
    try {
      linkSync(this.abs(resolved.join('/')), target);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOENT' || code === 'EPERM') return false;
      throw e;
    }
  }

  private async hardlink(entry: TarEntry, target: string): Promise<void> {
    const resolved = await this.resolveLinkTarget(entry);
    const found = resolved === null ? null : await this.tree.find(resolved.join('/'));
    if (found === null) {
      throw new ImageStoreError('LAYER_APPLY_FAILED', `layer entry ${JSON.stringify(entry.path)}: hardlink target ${JSON.stringify(entry.linkname)} does not exist`);
    }
    const st = found.stats;
    if (st.isDirectory()) throw this.unsafe(entry, `hardlink target ${JSON.stringify(entry.linkname)} is a directory`);
    if (found.own) return link(found.path, target);
    // Overlay mode: the target lives in a lower layer, so its content is copied up into this one.
    if (!st.isFile()) throw this.unsafe(entry, `hardlink target ${JSON.stringify(entry.linkname)} in a lower layer is not a regular file`);
    await copyFile(found.path, target, C.COPYFILE_EXCL);
    if (this.chownEntries) await chown(target, st.uid, st.gid);
    await chmod(target, st.mode & 0o7777);
    await utimes(target, st.atime, st.mtime);
  }

  private async whiteout(entry: TarEntry, parts: string[], name: string): Promise<void> {
    if (name === OPAQUE_WHITEOUT) {
      // The marker's parent, resolved, is the directory made opaque.
      const resolved = await this.resolve(entry, parts, this.mode === 'overlay');
      if (resolved === null) return;
      const dirRel = resolved.slice(0, -1).join('/');
      if (this.mode === 'overlay') {
        await this.setXattr(this.abs(dirRel), OPAQUE_XATTR, Buffer.from('y'));
        this.tree.forget(dirRel);
        return;
      }
      for (const child of await readdir(this.abs(dirRel))) {
        const childRel = dirRel === '' ? child : `${dirRel}/${child}`;
        if (!this.createdAtOrBelow(childRel)) await this.removePath(childRel);
      }
      return;
    }
    const hidden = name.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..' || hidden.startsWith(WHITEOUT_PREFIX)) {
      throw this.unsafe(entry, `whiteout of ${JSON.stringify(hidden)} is not allowed`);
    }
    const resolved = await this.resolve(entry, [...parts.slice(0, -1), hidden], this.mode === 'overlay');
    if (resolved === null) return;
    const rel = resolved.join('/');
    await this.removePath(rel);
    if (this.mode === 'overlay') {
      await this.makeNode(this.abs(rel), 'char', 0, 0, 0);
      this.made.add(rel);
      return;
    }
    this.created.delete(rel);
  }

  private createdAtOrBelow(rel: string): boolean {
    if (this.created.has(rel)) return true;
    for (const c of this.created) if (c.startsWith(rel + '/')) return true;
    return false;
  }

  private async setMetadata(entry: TarEntry, path: string, followsNoLink: boolean): Promise<void> {
    if (!followsNoLink) {
      // Symlinks: ownership and times of the link itself; its mode is meaningless on Linux.
      if (this.chownEntries) await lchown(path, entry.uid, entry.gid);
      await lutimes(path, entry.mtime, entry.mtime);
      await this.setXattrs(entry, path);
      return;
    }
    if (this.chownEntries) await chown(path, entry.uid, entry.gid);
    await chmod(path, entry.mode);
    await utimes(path, entry.mtime, entry.mtime);
    await this.setXattrs(entry, path);
  }

  private async setXattrs(entry: TarEntry, path: string): Promise<void> {
    if (!this.xattrs) return;
    for (const [name, value] of entry.xattrs) await this.setXattr(path, name, value);
  }

  /**
   * Sets directory times last (adding children changes them), deepest first;
   * a directory that a later entry replaced, itself or one above it (say by a
   * symlink), is gone from there and skipped.
   */
  async finish(): Promise<void> {
    await this.settle();
    const byDepth = [...this.dirTimes].sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
    for (const { rel, mtime } of byDepth) {
      if (!(await this.parentsAreDirs(rel))) continue;
      const st = await lstatOrNull(this.abs(rel));
      if (st?.isDirectory()) await utimes(this.abs(rel), mtime, mtime);
    }
  }

  /** True when every directory above `rel` is a real directory under the root (checked top down, none followed). */
  private async parentsAreDirs(rel: string): Promise<boolean> {
    for (let at = rel.indexOf('/'); at !== -1; at = rel.indexOf('/', at + 1)) {
      const dirRel = rel.slice(0, at);
      // The tree forgets every path an entry changes, so one it still knows as a directory is one.
      if (this.tree.cached(dirRel)?.kind === 'directory') continue;
      const st = await lstatOrNull(this.abs(dirRel));
      if (st === null || !st.isDirectory()) return false;
    }
    return true;
  }
}
