import { arrayEntries, field, pointer, show } from '../validation/issue.js';
import { isAbsolutePath } from './validation-context.js';
import type { SpecContext } from './validation-context.js';

/** Values accepted for `linux.rootfsPropagation`. */
export const ROOTFS_PROPAGATIONS: readonly string[] = [
  'private', 'shared', 'slave', 'unbindable', 'rprivate', 'rshared', 'rslave', 'runbindable',
];

/** Masked and read-only paths must be absolute; rootfsPropagation must be a known mode. */
export function validateLinuxPaths(ctx: SpecContext): void {
  const linux = field(ctx.spec, 'linux');
  for (const key of ['maskedPaths', 'readonlyPaths']) {
    for (const [i, path] of arrayEntries(field(linux, key))) {
      if (typeof path === 'string' && !isAbsolutePath(path)) {
        ctx.out.must(pointer('/linux', key, i), 'absolute-path', `must be an absolute path, got ${show(path)}`);
      }
    }
  }
  const propagation = field(linux, 'rootfsPropagation');
  if (typeof propagation === 'string' && !ROOTFS_PROPAGATIONS.includes(propagation)) {
    ctx.out.must('/linux/rootfsPropagation', 'rootfs-propagation', `must be one of ${ROOTFS_PROPAGATIONS.join(', ')}, got ${show(propagation)}`);
  }
}
