import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';
import type { ImageStore } from '../image-store.js';
import type { ImageRecord } from '../images/image-record.js';
import { OverlayTree } from '../layer/overlay-tree.js';
import { resolveInRoot } from '../layer/root-resolver.js';

/**
 * True when `path` is a directory in `image`, read from its overlay layer snapshots as
 * overlayfs would merge them (whiteouts, opaque directories, symlinks resolved inside the
 * image), without mounting anything.
 */
export async function isDirInImage(store: ImageStore, image: ImageRecord | undefined, path: string): Promise<boolean> {
  if (image === undefined) return false;
  const helper = store.snapshots.helper;
  const view = new OverlayTree(join(store.root, 'snapshots', '.no-upper'), {
    lowerDirs: [...image.chainIds].reverse().map((c) => store.snapshots.path(c)),
    getXattr: (p, name) => helper.getXattr(p, name),
    setXattr: async () => {
      throw new ImageStoreError('INVALID_ARGUMENT', 'a read-only view of an image');
    },
    ownership: false,
  });
  // A last component that is a symlink is followed too: resolve a name below it.
  const parts = [...path.split('/').filter((p) => p !== ''), 'x'];
  const resolved = await resolveInRoot(view, parts, { refuse: () => new ImageStoreError('INVALID_ARGUMENT', `cannot resolve ${path}`) }).catch(() => null);
  if (resolved === null) return false;
  return (await view.lookup(resolved.slice(0, -1).join('/'))).kind === 'directory';
}
