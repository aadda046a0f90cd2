import { constants as C, linkSync, lstatSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { copyFile, link, lstat, lchown, lutimes, mkdir, open, readdir, rm, symlink, chmod, chown, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import { ImageStoreError, isImageStoreError, throwIfAborted } from '../errors.js';
import type { TarEntry } from '../tar/tar-reader.js';
import { readTar } from '../tar/tar-reader.js';
import { entryComponents, OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './entry-path.js';
import type { SmallFileJob } from './file-writer-pool.js';
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
   * Overlay mode only: directories of the lower layers, topmost first, searched
   * for a hardlink target that is not in this layer (it is copied up).
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

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Applies one uncompressed layer tar stream to the directory `root`.
 *
 * Safe by construction: every entry path and hardlink target is confined to
 * `root` (see entryComponents), every parent directory is checked with lstat
 * and must be a real directory (an earlier entry's symlink is never written
 * through), and files are created with O_EXCL|O_NOFOLLOW after removing what
 * was there. Directory mtimes are set last, deepest first.
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
  /** Directories (relative paths) verified to be real directories. */
  private readonly knownDirs = new Set<string>(['']);
  /** Paths created by this layer: an opaque whiteout keeps them. */
  private readonly created = new Set<string>();
  /**
   * True when the root was empty before this layer (every new overlay snapshot): then only
   * what this layer made exists, `knownDirs` and `nonDirs` say what is where, and most
   * lstat calls are skipped (each one blocks on a directory other threads are filling).
   */
  private startedEmpty = false;
  /** Non-directories this layer made, when the root started empty. */
  private readonly nonDirs = new Set<string>();
  private readonly dirTimes: Array<{ rel: string; mtime: number }> = [];
  private readonly smallFiles = new SmallFileBatcher();
  private readonly umask = process.umask();
  private readonly uid = process.getuid?.() ?? -1;
  private readonly gid = process.getgid?.() ?? -1;
  /** The given helper, or one of its own (its process starts only when a layer needs it). */
  private readonly helperLease: HelperLease;

  constructor(private readonly root: string, private readonly options: ApplyLayerOptions) {
    this.mode = options.whiteouts ?? 'delete';
    this.chownEntries = options.ownership ?? process.getuid?.() === 0;
    this.xattrs = options.xattrs ?? true;
    this.helperLease = leaseHelper(options.helper);
  }

  async begin(): Promise<void> {
    this.startedEmpty = (await readdir(this.root)).length === 0;
  }

  /** What is at `rel` (`target` its absolute path): told from memory when the root started empty. */
  private kindAt(rel: string, target: string): 'none' | 'directory' | 'other' {
    if (this.startedEmpty && !this.nonDirs.has(rel)) return this.knownDirs.has(rel) ? 'directory' : 'none';
    const st = lstatSyncOrNull(target);
    return st === null ? 'none' : st.isDirectory() ? 'directory' : 'other';
  }

  /** Records a non-directory this layer made at `rel`. */
  private madeNonDir(rel: string): void {
    this.created.add(rel);
    if (this.startedEmpty) this.nonDirs.add(rel);
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

  /** Makes sure every directory above `parts` is a real directory under root, creating missing ones. */
  private async ensureParents(entry: TarEntry, parts: string[], create: boolean): Promise<boolean> {
    let rel = '';
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel === '' ? parts[i]! : `${rel}/${parts[i]!}`;
      if (this.knownDirs.has(rel)) continue;
      const st = this.startedEmpty && !this.nonDirs.has(rel) ? null : await lstatOrNull(this.abs(rel));
      if (st === null) {
        if (!create) return false;
        await this.checkLowerParent(entry, rel);
        await mkdir(this.abs(rel), { mode: 0o755 });
      } else if (st.isSymbolicLink()) {
        throw this.unsafe(entry, `its parent ${JSON.stringify(rel)} is a symlink and is never followed`);
      } else if (!st.isDirectory()) {
        throw this.unsafe(entry, `its parent ${JSON.stringify(rel)} is not a directory`);
      }
      this.knownDirs.add(rel);
    }
    return true;
  }

  /**
   * Overlay mode: a directory this layer creates implicitly would hide a lower
   * layer's symlink or file at that path, changing the merged tree. Such a
   * layer means to write through the symlink, which is refused as in copy mode.
   */
  private async checkLowerParent(entry: TarEntry, rel: string): Promise<void> {
    const lowers = this.options.lowerDirs;
    if (this.mode !== 'overlay' || lowers === undefined) return;
    for (const lower of typeof lowers === 'function' ? await lowers() : lowers) {
      const st = await lstatOrNull(join(lower, rel));
      if (st === null) continue;
      // A whiteout (0/0 character device) hides the lower layers: nothing is there.
      if (st.isCharacterDevice() && st.rdev === 0) return;
      if (st.isDirectory()) return;
      throw this.unsafe(entry, `its parent ${JSON.stringify(rel)} is a ${st.isSymbolicLink() ? 'symlink' : 'non-directory'} in a lower layer and is never followed`);
    }
  }

  /** Removes whatever is at `rel` (recursively) and forgets cached directories under it. */
  private async removePath(rel: string): Promise<void> {
    await rm(this.abs(rel), { recursive: true, force: true });
    for (const known of [this.knownDirs, this.nonDirs]) {
      for (const d of known) if (d === rel || d.startsWith(rel + '/')) known.delete(d);
    }
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
    if (!smallFile || this.smallFiles.touchesPending(parts)) await this.settle();
    const name = parts[parts.length - 1];
    if (name === undefined) {
      if (entry.type !== 'directory') throw this.unsafe(entry, `the layer root can only be a directory, not a ${entry.type}`);
      await this.setMetadata(entry, this.root, true);
      this.dirTimes.push({ rel: '', mtime: entry.mtime });
      return;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) return this.whiteout(entry, parts, name);

    await this.ensureParents(entry, parts, true);
    const rel = parts.join('/');
    const target = this.abs(rel);
    if (entry.type === 'hardlink' && (await this.linkNewName(entry, target))) {
      this.madeNonDir(rel);
      return;
    }
    const existing = this.kindAt(rel, target);
    if (existing !== 'none' && !(entry.type === 'directory' && existing === 'directory')) {
      if (entry.type === 'hardlink' && entryComponents(entry.linkname, 'hardlink target').join('/') === rel) return;
      await this.removePath(rel);
    }
    if (entry.type === 'directory') this.created.add(rel);
    else this.madeNonDir(rel);

    switch (entry.type) {
      case 'directory':
        if (existing !== 'directory') await mkdir(target, { mode: 0o700 });
        this.knownDirs.add(rel);
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
    if (parts.length === 0 || !(await this.ensureParents(entry, parts, false))) return false;
    try {
      linkSync(this.abs(parts.join('/')), target);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOENT' || code === 'EPERM') return false;
      throw e;
    }
  }

  private async hardlink(entry: TarEntry, target: string): Promise<void> {
    const parts = entryComponents(entry.linkname, 'hardlink target');
    if (parts.length === 0) throw this.unsafe(entry, 'a hardlink cannot point at the layer root');
    const linkRel = parts.join('/');
    if (!(await this.ensureParents(entry, parts, false))) {
      return this.hardlinkFromLower(entry, target, linkRel);
    }
    const st = await lstatOrNull(this.abs(linkRel));
    if (st === null) return this.hardlinkFromLower(entry, target, linkRel);
    if (st.isDirectory()) throw this.unsafe(entry, `hardlink target ${JSON.stringify(entry.linkname)} is a directory`);
    await link(this.abs(linkRel), target);
  }

  /** Overlay mode: the target lives in a lower layer, so its content is copied up into this one. */
  private async hardlinkFromLower(entry: TarEntry, target: string, linkRel: string): Promise<void> {
    const lowers = this.options.lowerDirs;
    const dirs = this.mode !== 'overlay' || lowers === undefined ? [] : typeof lowers === 'function' ? await lowers() : lowers;
    for (const lower of dirs) {
      const parts = linkRel.split('/');
      let ok = true;
      for (let i = 1; i < parts.length && ok; i++) {
        const st = await lstatOrNull(join(lower, ...parts.slice(0, i)));
        ok = st !== null && st.isDirectory() && !st.isSymbolicLink();
      }
      if (!ok) continue;
      const source = join(lower, linkRel);
      const st = await lstatOrNull(source);
      if (st === null) continue;
      if (!st.isFile()) throw this.unsafe(entry, `hardlink target ${JSON.stringify(entry.linkname)} in a lower layer is not a regular file`);
      await copyFile(source, target, C.COPYFILE_EXCL);
      if (this.chownEntries) await chown(target, st.uid, st.gid);
      await chmod(target, st.mode & 0o7777);
      await utimes(target, st.atime, st.mtime);
      return;
    }
    throw new ImageStoreError('LAYER_APPLY_FAILED', `layer entry ${JSON.stringify(entry.path)}: hardlink target ${JSON.stringify(entry.linkname)} does not exist`);
  }

  private async whiteout(entry: TarEntry, parts: string[], name: string): Promise<void> {
    const parentRel = parts.slice(0, -1).join('/');
    if (name === OPAQUE_WHITEOUT) {
      if (!(await this.ensureParents(entry, parts, this.mode === 'overlay'))) return;
      if (this.mode === 'overlay') {
        await this.setXattr(this.abs(parentRel), 'trusted.overlay.opaque', Buffer.from('y'));
        return;
      }
      for (const child of await readdir(this.abs(parentRel))) {
        const childRel = parentRel === '' ? child : `${parentRel}/${child}`;
        if (!this.createdAtOrBelow(childRel)) await this.removePath(childRel);
      }
      return;
    }
    const hidden = name.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..' || hidden.startsWith(WHITEOUT_PREFIX)) {
      throw this.unsafe(entry, `whiteout of ${JSON.stringify(hidden)} is not allowed`);
    }
    const hiddenParts = [...parts.slice(0, -1), hidden];
    const rel = hiddenParts.join('/');
    if (this.mode === 'overlay') {
      await this.ensureParents(entry, hiddenParts, true);
      await this.removePath(rel);
      await this.makeNode(this.abs(rel), 'char', 0, 0, 0);
      if (this.startedEmpty) this.nonDirs.add(rel);
      return;
    }
    if (!(await this.ensureParents(entry, hiddenParts, false))) return;
    await this.removePath(rel);
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

  /** Sets directory times last (adding children changes them), deepest first. */
  async finish(): Promise<void> {
    await this.settle();
    const byDepth = [...this.dirTimes].sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
    for (const { rel, mtime } of byDepth) {
      const st = await lstatOrNull(this.abs(rel));
      if (st?.isDirectory()) await utimes(this.abs(rel), mtime, mtime);
    }
  }
}
