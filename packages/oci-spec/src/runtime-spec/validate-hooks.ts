import { arrayEntries, field, isObject, pointer, show } from '../validation/issue.js';
import { isAbsolutePath } from './validation-context.js';
import type { SpecContext } from './validation-context.js';

const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

/** Hook paths must be absolute and hook env entries `KEY=value`; `prestart` is deprecated. */
export function validateHooks(ctx: SpecContext): void {
  const hooks = field(ctx.spec, 'hooks');
  if (!isObject(hooks)) return;
  for (const kind of HOOK_KINDS) {
    const list = field(hooks, kind);
    if (kind === 'prestart' && Array.isArray(list) && list.length > 0) {
      ctx.out.should('/hooks/prestart', 'deprecated-prestart', 'prestart is deprecated: use createRuntime, createContainer or startContainer');
    }
    for (const [i, hook] of arrayEntries(list)) {
      const path = field(hook, 'path');
      if (typeof path === 'string' && !isAbsolutePath(path)) {
        ctx.out.must(pointer('/hooks', kind, i, 'path'), 'absolute-path', `must be an absolute path, got ${show(path)}`);
      }
      for (const [j, entry] of arrayEntries(field(hook, 'env'))) {
        if (typeof entry === 'string' && entry.indexOf('=') <= 0) {
          ctx.out.must(pointer('/hooks', kind, i, 'env', j), 'env-format', `must be KEY=value, got ${show(entry)}`);
        }
      }
    }
  }
}
