import { arrayEntries, field, pointer, show } from '../validation/issue.js';
import { isAbsolutePath } from './validation-context.js';
import type { SpecContext } from './validation-context.js';

/** Mount destinations must be absolute on Linux. */
export function validateMounts(ctx: SpecContext): void {
  if (!ctx.isLinux) return;
  for (const [i, mount] of arrayEntries(field(ctx.spec, 'mounts'))) {
    const destination = field(mount, 'destination');
    if (typeof destination === 'string' && !isAbsolutePath(destination)) {
      ctx.out.must(pointer('/mounts', i, 'destination'), 'absolute-path', `must be an absolute path, got ${show(destination)}`);
    }
  }
}
