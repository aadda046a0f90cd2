import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Runc } from '@shimkit/runc-driver';
import type { RuntimeBackendInfo } from '../../interfaces/runtime-backend.js';

async function onPath(binary: string): Promise<boolean> {
  const candidates = binary.includes('/') ? [binary] : (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).map((d) => join(d, binary));
  for (const path of candidates) {
    if (await access(path, constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

/**
 * What the backend reports about itself, probed once: the default runtime's name and
 * version (`--version`), the handlers, and readiness (not ready, with the reason, when a
 * runtime binary or conmon is missing).
 */
export async function probeRuntimes(input: {
  runtimes: readonly { name: string; runc: Runc }[];
  conmon: string;
  cgroupDriver: 'systemd' | 'cgroupfs';
}): Promise<RuntimeBackendInfo> {
  const handlers = input.runtimes.map((r) => ({ name: r.name, recursiveReadOnlyMounts: false, userNamespaces: false }));
  const base = { cgroupDriver: input.cgroupDriver, handlers };
  const primary = input.runtimes[0];
  let name = primary?.runc.binary ?? 'runc';
  let version = 'unknown';
  const problems: string[] = [];
  for (const r of input.runtimes) {
    try {
      const v = await r.runc.version();
      if (r === primary) [name, version] = [v.name || name, v.version];
    } catch (e) {
      problems.push(`runtime ${r.runc.binary} (handler "${r.name}") does not run: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!(await onPath(input.conmon))) problems.push(`conmon binary not found: ${input.conmon}`);
  if (problems.length > 0) return { ...base, name, version, ready: false, reason: 'RuntimeBinaryMissing', message: problems.join('; ') };
  return { ...base, name, version, ready: true };
}
