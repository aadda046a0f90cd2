import type { Stats } from 'node:fs';
import { chmod, chown, lstat, mkdir, readlink, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerTree } from './layer-tree.js';
import { DIRECTORY, forgetBelow, lstatOrNull, MISSING, OTHER, parentOf } from './layer-tree.js';
import type { PathKind } from './root-resolver.js';

/** The xattr that makes an overlayfs directory hide what the layers below hold at its path. */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface OverlayTreeOptions {
  /** The lower layers' directories, topmost first; read only when a path is not in this layer's own. */
  lowerDirs?: string[] | (() => Promise<string[]>);
  /** Reads an xattr of a path itself; null when it has none of that name. */
  getXattr(path: string, name: string): Promise<Buffer | null>;
  setXattr(path: string, name: string, value: Buffer): Promise<void>;
  /** Copied-up directories take the lower one's owner too. */
  ownership: boolean;
  /** Told of each directory copied up, with the lower one's mtime: adding entries to it changes its own. */
  onCopyUp?: (rel: string, mtime: number) => void;
  /** Told of each directory it makes in this layer's own directory (new, so empty). */
  onMakeDir?: (rel: string) => void;
}

/** An overlayfs whiteout: a character device 0/0. */
export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * A directory of the merged view: the layers (0 is this one, i is the i-th
 * lower) whose directory at its path takes part in the merge, topmost first,
 * found as far as needed.
 */
class MergedDir {
  /** The lowest layer of its parent's layers looked at so far. */
  scanned: number;
  /** No layer below the last of `layers` adds to it. */
  complete: boolean;

  constructor(readonly layers: number[], complete = false) {
    this.scanned = layers[0]!;
    this.complete = complete;
  }
}

type Known = MergedDir | { kind: 'symlink'; target: string };

/**
 * This layer's directory (an overlayfs upper dir) seen through the merged
 * view its lower layers give it, as overlayfs shows it when mounted: a name
 * is looked for in each layer whose parent directory takes part in the merge,
 * topmost first; the first hit is what the view has; a whiteout (0/0
 * character device) means nothing is there; a directory merges with the
 * directories of the same path below it, down to an opaque one
 * (`trusted.overlay.opaque=y`) or to a layer holding anything else there. As
 * overlayfs does, an opaque flag on a layer's root directory is not honoured.
 *
 * Lower layers are read only when this layer's own directory cannot answer
 * (they may still be unpacking until then), and an opaque flag only when
 * going past a layer that lacks the name.
 */
export class OverlayTree implements LayerTree {
  private readonly known = new Map<string, Known>();
  /** Layer directories by index: this layer's, then the lower ones once read. */
  private layerDirs: string[];
  private lowers: Promise<void> | undefined;
  private readonly umask = process.umask();
  private readonly uid = process.getuid?.() ?? -1;
  private readonly gid = process.getgid?.() ?? -1;

  constructor(private readonly upper: string, private readonly options: OverlayTreeOptions) {
    this.layerDirs = [upper];
    this.known.set('', new MergedDir([0]));
  }

  cached(rel: string): PathKind | undefined {
    const known = this.known.get(rel);
    if (known === undefined) return undefined;
    return known instanceof MergedDir ? DIRECTORY : known;
  }

  async lookup(rel: string): Promise<PathKind> {
    const cached = this.cached(rel);
    if (cached !== undefined) return cached;
    const found = await this.locate(rel);
    if (found === null) return MISSING;
    if (found.stats.isDirectory()) {
      this.known.set(rel, new MergedDir([found.layer]));
      return DIRECTORY;
    }
    if (!found.stats.isSymbolicLink()) return OTHER;
    const link = { kind: 'symlink' as const, target: await readlink(found.path) };
    this.known.set(rel, link);
    return link;
  }

  async find(rel: string): Promise<{ path: string; stats: Stats; own: boolean } | null> {
    const found = await this.locate(rel);
    return found === null ? null : { path: found.path, stats: found.stats, own: found.layer === 0 };
  }

  async makeDir(rel: string): Promise<void> {
    await this.ownDirs(parentOf(rel));
    const path = join(this.upper, rel);
    // The view has nothing here: this layer has nothing or a whiteout, which the new directory
    // replaces. It is then opaque, so what the whiteout hid stays hidden (as overlayfs's mkdir does).
    const st = await lstatOrNull(path);
    const overWhiteout = st !== null && isWhiteout(st);
    if (overWhiteout) await rm(path);
    await mkdir(path, { mode: 0o755 });
    this.options.onMakeDir?.(rel);
    if (overWhiteout) await this.options.setXattr(path, OPAQUE_XATTR, Buffer.from('y'));
    this.known.set(rel, new MergedDir([0], overWhiteout));
  }

  async ownDirs(rel: string): Promise<void> {
    // A directory of this layer's own has its parents there too.
    if (this.isOwnDir(rel)) return;
    let at = rel.indexOf('/');
    for (;;) {
      const dirRel = at === -1 ? rel : rel.slice(0, at);
      if (!this.isOwnDir(dirRel)) await this.copyUp(dirRel);
      if (at === -1) return;
      at = rel.indexOf('/', at + 1);
    }
  }

  forget(rel: string): void {
    if (rel === '') {
      const root = this.known.get('');
      this.known.clear();
      this.known.set('', root!);
    } else {
      forgetBelow(this.known, rel);
    }
  }

  isOwnDir(rel: string): boolean {
    const known = this.known.get(rel);
    return known instanceof MergedDir && known.layers[0] === 0;
  }

  madeDir(rel: string): void {
    // The lower layers' directories there merge below it, as far as found (lazily) and unless it is opaque.
    if (!this.isOwnDir(rel)) this.known.set(rel, new MergedDir([0]));
  }

  /** Makes the directory `rel` of the view (its parent already this layer's own) one of this layer's own. */
  private async copyUp(rel: string): Promise<void> {
    const dir = await this.dir(rel);
    const top = dir.layers[0]!;
    if (top === 0) return;
    const from = await lstat(join(this.layerDirs[top]!, rel));
    const path = join(this.upper, rel);
    const mode = from.mode & 0o7777;
    // Made with its final mode and owner when the umask and this process's ids allow (most directories).
    const plainMode = (mode & 0o7000) === 0 && (mode & this.umask) === 0;
    await mkdir(path, { mode: plainMode ? mode : 0o700 });
    this.options.onMakeDir?.(rel);
    if (this.options.ownership && (from.uid !== this.uid || from.gid !== this.gid)) await chown(path, from.uid, from.gid);
    if (!plainMode) await chmod(path, mode);
    await utimes(path, from.atime, from.mtime);
    // A new directory without the opaque flag: the merge below it is unchanged.
    dir.layers.unshift(0);
    this.options.onCopyUp?.(rel, from.mtimeMs / 1000);
  }

  /** The merged directory at `rel`, which must be a directory of the view. */
  private async dir(rel: string): Promise<MergedDir> {
    let known = this.known.get(rel);
    if (known === undefined) {
      await this.lookup(rel);
      known = this.known.get(rel);
    }
    if (!(known instanceof MergedDir)) throw new Error(`${JSON.stringify(rel)} is not a directory of the merged layers`);
    return known;
  }

  /** The topmost layer holding `rel` in the merged view (a whiteout there: none), with its path and stats. */
  private async locate(rel: string): Promise<{ layer: number; path: string; stats: Stats } | null> {
    const parentRel = parentOf(rel);
    const parent = await this.dir(parentRel);
    for (let i = 0; ; i++) {
      const layer = await this.layerAt(parentRel, parent, i);
      if (layer === undefined) return null;
      const path = join(this.layerDirs[layer]!, rel);
      const stats = await lstatOrNull(path);
      if (stats === null) continue;
      return isWhiteout(stats) ? null : { layer, path, stats };
    }
  }

  /** The `i`-th layer of the merged directory `rel`, looking further down only when asked. */
  private async layerAt(rel: string, dir: MergedDir, i: number): Promise<number | undefined> {
    while (dir.layers.length <= i && !dir.complete) await this.extend(rel, dir);
    return dir.layers[i];
  }

  /** Finds the next layer taking part in the merged directory `rel`, or marks it complete. */
  private async extend(rel: string, dir: MergedDir): Promise<void> {
    if (rel === '') {
      // Every layer's root takes part (overlayfs ignores an opaque flag there).
      const count = (await this.lowerDirs()).length;
      for (let layer = 1; layer <= count; layer++) dir.layers.push(layer);
      dir.complete = true;
      return;
    }
    if (await this.isOpaque(dir.layers[dir.layers.length - 1]!, rel)) {
      dir.complete = true;
      return;
    }
    const parentRel = parentOf(rel);
    const parent = await this.dir(parentRel);
    for (let i = 0; ; i++) {
      const layer = await this.layerAt(parentRel, parent, i);
      if (layer === undefined) break;
      if (layer <= dir.scanned) continue;
      dir.scanned = layer;
      const st = await lstatOrNull(join(this.layerDirs[layer]!, rel));
      if (st === null) continue;
      if (st.isDirectory()) {
        dir.layers.push(layer);
        return;
      }
      // A whiteout or anything but a directory hides the layers below.
      break;
    }
    dir.complete = true;
  }

  private async isOpaque(layer: number, rel: string): Promise<boolean> {
    try {
      return (await this.options.getXattr(join(this.layerDirs[layer]!, rel), OPAQUE_XATTR))?.toString() === 'y';
    } catch (e) {
      // A file system without (trusted) xattrs has no opaque directories.
      if (['ENOTSUP', 'EOPNOTSUPP'].includes((e as NodeJS.ErrnoException).code ?? '')) return false;
      throw e;
    }
  }

  private async lowerDirs(): Promise<string[]> {
    this.lowers ??= (async () => {
      const lowers = this.options.lowerDirs;
      const dirs = lowers === undefined ? [] : typeof lowers === 'function' ? await lowers() : lowers;
      this.layerDirs = [this.upper, ...dirs];
    })();
    await this.lowers;
    return this.layerDirs.slice(1);
  }
}
