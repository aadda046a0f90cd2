import { arrayEntries, field, pointer, show } from '../validation/issue.js';
import { isAbsolutePath } from './validation-context.js';
import type { SpecContext } from './validation-context.js';

/** Namespace types a Linux runtime knows. */
export const NAMESPACE_TYPES: readonly string[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];

/**
 * Namespaces: known types, each at most once, absolute paths; hostname and domainname need a UTS
 * namespace; ID mappings need a user namespace.
 */
export function validateNamespaces(ctx: SpecContext): void {
  const linux = field(ctx.spec, 'linux');
  const seen = new Set<string>();
  for (const [i, ns] of arrayEntries(field(linux, 'namespaces'))) {
    const type = field(ns, 'type');
    const base = pointer('/linux/namespaces', i);
    if (typeof type === 'string') {
      if (!NAMESPACE_TYPES.includes(type)) {
        ctx.out.must(pointer(base, 'type'), 'namespace-type', `unknown namespace type ${show(type)}: expected ${NAMESPACE_TYPES.join(', ')}`);
      } else if (seen.has(type)) {
        ctx.out.must(pointer(base, 'type'), 'duplicate-namespace', `namespace ${type} is listed more than once`);
      }
      seen.add(type);
    }
    const path = field(ns, 'path');
    if (typeof path === 'string' && !isAbsolutePath(path)) {
      ctx.out.must(pointer(base, 'path'), 'absolute-path', `must be an absolute path, got ${show(path)}`);
    }
  }

  if (!ctx.isLinux || !ctx.namespacesKnown) return;
  for (const key of ['hostname', 'domainname']) {
    const value = field(ctx.spec, key);
    if (typeof value === 'string' && value !== '' && !ctx.namespaces.has('uts')) {
      ctx.out.must(`/${key}`, 'hostname-needs-uts', `setting ${key} needs a uts namespace`);
    }
  }
  for (const key of ['uidMappings', 'gidMappings']) {
    const mappings = field(linux, key);
    if (Array.isArray(mappings) && mappings.length > 0 && !ctx.namespaces.has('user')) {
      ctx.out.must(pointer('/linux', key), 'mappings-need-user-namespace', `${key} need a user namespace`);
    }
  }
  const timeOffsets = field(linux, 'timeOffsets');
  if (timeOffsets !== undefined && !ctx.namespaces.has('time')) {
    ctx.out.must('/linux/timeOffsets', 'time-offsets-need-time-namespace', 'timeOffsets need a time namespace');
  }
}
