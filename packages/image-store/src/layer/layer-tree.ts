import type { Stats } from 'node:fs';
import { lstat, mkdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PathKind, RootView } from './root-resolver.js';

/**
 * The tree a layer is applied to, as its entries see it: the root directory
 * itself (copy snapshots), or this layer's directory over its lower layers
 * (overlay). Paths are relative to the root, parents already resolved
 * (resolveInRoot), so none goes through a symlink. Directories and symlinks
 * looked up are remembered; the applier forgets a path it changes.
 */
export interface LayerTree extends RootView {
  /** True when `rel` is known to be a directory of this layer's own: entries go below it as they are named, with no lookup. */
  isOwnDir(rel: string): boolean;
  /** Makes a directory (mode 0755) at `rel`, where the tree has nothing, in this layer's own directory. */
  makeDir(rel: string): Promise<void>;
  /**
   * Makes `rel` and every directory above it, all directories of the tree,
   * directories of this layer's own (copied up from a lower layer: mode, owner
   * and times), so entries can be written below it.
   */
  ownDirs(rel: string): Promise<void>;
  /** What the tree has at `rel`, not followed: its path on disk, its stats, and whether it is this layer's own; null for nothing. */
  find(rel: string): Promise<{ path: string; stats: Stats; own: boolean } | null>;
  /** Forgets what it knows of `rel` and below: an entry replaced or removed it, or changed how it merges. */
  forget(rel: string): void;
  /** Records that `rel` is now a directory of this layer's own (a directory entry made or kept it; forgotten first if it was new). */
  madeDir(rel: string): void;
}

export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The parent of a relative path ("" for a top-level name). */
export function parentOf(rel: string): string {
  const at = rel.lastIndexOf('/');
  return at === -1 ? '' : rel.slice(0, at);
}

/** Deletes `rel` and every key below it; cheap when `rel` is not a key (nothing below it is then either). */
export function forgetBelow(known: Map<string, unknown>, rel: string): void {
  if (!known.delete(rel)) return;
  const prefix = `${rel}/`;
  for (const key of known.keys()) if (key.startsWith(prefix)) known.delete(key);
}

export const DIRECTORY: PathKind = { kind: 'directory' };
export const MISSING: PathKind = { kind: 'missing' };
export const OTHER: PathKind = { kind: 'other' };

/** A directory holding the whole merged tree (copy snapshots, whiteouts deleted). */
export class DirectoryTree implements LayerTree {
  /** Directories and symlinks seen; a directory's ancestors are always here too. */
  private readonly known = new Map<string, PathKind>();

  /** `onMakeDir` is told of each directory it makes (new, so empty). */
  constructor(private readonly root: string, private readonly onMakeDir?: (rel: string) => void) {}

  cached(rel: string): PathKind | undefined {
    return this.known.get(rel);
  }

  isOwnDir(rel: string): boolean {
    return this.known.get(rel) === DIRECTORY;
  }

  async lookup(rel: string): Promise<PathKind> {
    const path = join(this.root, rel);
    const st = await lstatOrNull(path);
    if (st === null) return MISSING;
    if (st.isDirectory()) {
      this.known.set(rel, DIRECTORY);
      return DIRECTORY;
    }
    if (!st.isSymbolicLink()) return OTHER;
    const link: PathKind = { kind: 'symlink', target: await readlink(path) };
    this.known.set(rel, link);
    return link;
  }

  async makeDir(rel: string): Promise<void> {
    await mkdir(join(this.root, rel), { mode: 0o755 });
    this.onMakeDir?.(rel);
    this.known.set(rel, DIRECTORY);
  }

  async ownDirs(): Promise<void> {
    // Every directory of the tree is in the root already.
  }

  async find(rel: string): Promise<{ path: string; stats: Stats; own: boolean } | null> {
    const path = join(this.root, rel);
    const stats = await lstatOrNull(path);
    return stats === null ? null : { path, stats, own: true };
  }

  forget(rel: string): void {
    if (rel === '') this.known.clear();
    else forgetBelow(this.known, rel);
  }

  madeDir(rel: string): void {
    this.known.set(rel, DIRECTORY);
  }
}
