import { arrayEntries, field, pointer, show } from '../validation/issue.js';
import { isAbsolutePath } from './validation-context.js';
import type { SpecContext } from './validation-context.js';

/** Device node types: character, block, unbuffered character, FIFO. */
export const DEVICE_TYPES: readonly string[] = ['c', 'b', 'u', 'p'];
/** Device cgroup rule types: all, character, block. */
export const DEVICE_CGROUP_TYPES: readonly string[] = ['a', 'c', 'b'];

/** Devices: known types, absolute unique paths, major/minor for non-FIFOs; device cgroup types and access strings. */
export function validateDevices(ctx: SpecContext): void {
  const linux = field(ctx.spec, 'linux');
  const paths = new Set<string>();
  for (const [i, device] of arrayEntries(field(linux, 'devices'))) {
    const base = pointer('/linux/devices', i);
    const type = field(device, 'type');
    if (typeof type === 'string') {
      if (!DEVICE_TYPES.includes(type)) {
        ctx.out.must(pointer(base, 'type'), 'device-type', `device type must be one of c, b, u, p, got ${show(type)}`);
      } else if (type !== 'p') {
        for (const key of ['major', 'minor']) {
          if (field(device, key) === undefined) {
            ctx.out.must(pointer(base, key), 'device-number', `${key} is required for a device of type ${type}`);
          }
        }
      }
    }
    const path = field(device, 'path');
    if (typeof path === 'string') {
      if (!isAbsolutePath(path)) ctx.out.must(pointer(base, 'path'), 'absolute-path', `must be an absolute path, got ${show(path)}`);
      else if (paths.has(path)) ctx.out.must(pointer(base, 'path'), 'duplicate-device', `device ${path} is listed more than once`);
      paths.add(path);
    }
  }

  for (const [i, rule] of arrayEntries(field(field(linux, 'resources'), 'devices'))) {
    const base = pointer('/linux/resources/devices', i);
    const type = field(rule, 'type');
    if (typeof type === 'string' && !DEVICE_CGROUP_TYPES.includes(type)) {
      ctx.out.must(pointer(base, 'type'), 'device-type', `device cgroup type must be one of a, c, b, got ${show(type)}`);
    }
    const access = field(rule, 'access');
    if (typeof access === 'string' && !isDeviceAccess(access)) {
      ctx.out.must(pointer(base, 'access'), 'device-access', `access must combine r, w and m, each at most once, got ${show(access)}`);
    }
  }
}

/** True for a device cgroup access string: `r`, `w`, `m`, each at most once (empty means none). */
export function isDeviceAccess(access: string): boolean {
  return /^[rwm]*$/.test(access) && new Set(access).size === access.length;
}
