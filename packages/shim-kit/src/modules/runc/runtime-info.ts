import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import type { Runc } from '@shimkit/runc-driver';
import type { RuntimeBackendInfo } from '../../interfaces/runtime-backend.js';
import { majorMinor } from './major-minor.js';
import { userNamespacesWork } from './userns-support.js';

async function onPath(binary: string): Promise<boolean> {
  const candidates = binary.includes('/') ? [binary] : (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).map((d) => join(d, binary));
  for (const path of candidates) {
    if (await access(path, constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

const atLeast = (version: string, major: number, minor: number): boolean => {
  const [a, b] = majorMinor(version);
  return a > major || (a === major && b >= minor);
};

/**
 * Whether a runtime makes `rro` mounts read-only all the way down: runc does from 1.1, with
 * the kernel's mount_setattr (Linux 5.12); crun 1.8 does not know the option.
 */
function recursiveReadOnly(name: string, version: string): boolean {
  return name === 'runc' && atLeast(version, 1, 1) && atLeast(release(), 5, 12);
}

/**
 * What the backend reports about itself, probed once: the default runtime's name and
 * version (`--version`), the handlers (with recursive read-only mount support, and user
 * namespaces when they work on this host: see {@link userNamespacesWork}), and readiness
 * (not ready, with the reason, when a runtime binary or conmon is missing).
 */
export async function probeRuntimes(input: {
  runtimes: readonly { name: string; runc: Runc }[];
  conmon: string;
  cgroupDriver: 'systemd' | 'cgroupfs';
  helper: HostHelper;
  /** Where the user namespace probe may make its files. */
  scratchDir: string;
}): Promise<RuntimeBackendInfo> {
  const userNamespaces = await userNamespacesWork(input.helper, input.scratchDir);
  const handlers = input.runtimes.map((r) => ({ name: r.name, recursiveReadOnlyMounts: false, userNamespaces }));
  const base = { cgroupDriver: input.cgroupDriver, handlers };
  const primary = input.runtimes[0];
  let name = primary?.runc.binary ?? 'runc';
  let version = 'unknown';
  const problems: string[] = [];
  for (const [i, r] of input.runtimes.entries()) {
    try {
      const v = await r.runc.version();
      if (r === primary) [name, version] = [v.name || name, v.version];
      const handler = handlers[i];
      if (handler) handler.recursiveReadOnlyMounts = recursiveReadOnly(v.name, v.version);
    } catch (e) {
      problems.push(`runtime ${r.runc.binary} (handler "${r.name}") does not run: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!(await onPath(input.conmon))) problems.push(`conmon binary not found: ${input.conmon}`);
  if (problems.length > 0) return { ...base, name, version, ready: false, reason: 'RuntimeBinaryMissing', message: problems.join('; ') };
  return { ...base, name, version, ready: true };
}
