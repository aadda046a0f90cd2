/** What a path is in a tree, the path itself not followed. */
export type PathKind =
  | { kind: 'missing' }
  | { kind: 'directory' }
  | { kind: 'symlink'; target: string }
  /** A regular file, device, fifo or socket. */
  | { kind: 'other' };

/**
 * A tree read one path at a time, paths relative to its root ("a/b", no
 * "." or ".." components, the root itself ""): one directory, or the merged
 * view of overlay layers.
 */
export interface RootView {
  /** What is at `rel`, if known without reading the disk (a directory or symlink seen before). */
  cached(rel: string): PathKind | undefined;
  /** What is at `rel`; its parent is a directory of the view, reached without symlinks. */
  lookup(rel: string): Promise<PathKind>;
}

/** Symlinks followed for one path at most, as the kernel's bound (ELOOP). */
export const MAX_SYMLINK_HOPS = 40;

export interface ResolveOptions {
  /**
   * Makes a new directory at `rel`, which the view lacks; resolution then goes
   * on through it. Without it a missing parent ends resolution with null.
   */
  makeDir?: (rel: string) => Promise<void>;
  /** The error for a path that cannot be resolved (`why` says which part failed and how). */
  refuse: (why: string) => Error;
}

/**
 * Resolves the parent components of `parts` inside a root, as if that root
 * were "/" (chroot): a parent that is a symlink is replaced by its target, an
 * absolute target starting again at the root, a relative one at the directory
 * holding the link; ".." goes up one resolved directory and stays at the root
 * when there is none; chains of links are followed, at most
 * MAX_SYMLINK_HOPS of them. The last component is kept as given (an entry
 * replaces a symlink at its own name, it does not write through it).
 *
 * Returns the resolved path's components, each parent a real directory of the
 * view (or made one by `makeDir`), so the path can be used below the root
 * without any symlink on the way; or null when a parent is missing and no
 * `makeDir` is given. `parts` must already be free of ".", "..", empty
 * components and NUL bytes (entryComponents); only link targets bring them.
 */
export async function resolveInRoot(view: RootView, parts: readonly string[], options: ResolveOptions): Promise<string[] | null> {
  const last = parts.length - 1;
  if (last < 0) return [];
  const done: string[] = [];
  let prefix = '';
  // Components still to resolve, the next one at the end.
  const todo: string[] = [];
  for (let i = last - 1; i >= 0; i--) todo.push(parts[i]!);
  let hops = 0;
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      done.pop();
      prefix = done.join('/');
      continue;
    }
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const found = view.cached(rel) ?? (await view.lookup(rel));
    switch (found.kind) {
      case 'directory':
        break;
      case 'missing':
        if (options.makeDir === undefined) return null;
        await options.makeDir(rel);
        break;
      case 'symlink': {
        if (++hops > MAX_SYMLINK_HOPS) throw options.refuse(`more than ${MAX_SYMLINK_HOPS} symlinks on its path (a loop?), the last at ${JSON.stringify(rel)}`);
        const target = found.target.split('/');
        for (let i = target.length - 1; i >= 0; i--) todo.push(target[i]!);
        if (found.target.startsWith('/')) {
          done.length = 0;
          prefix = '';
        }
        continue;
      }
      case 'other':
        throw options.refuse(`its parent ${JSON.stringify(rel)} is not a directory`);
    }
    done.push(name);
    prefix = rel;
  }
  done.push(parts[last]!);
  return done;
}
