import { readFile } from 'node:fs/promises';

let cached: Promise<boolean> | undefined;

/**
 * Whether the host kernel enforces AppArmor (`/sys/module/apparmor/parameters/enabled` is `Y`).
 * Without it runc fails to start a process given any profile, even `unconfined`.
 */
export function hostAppArmorEnabled(): Promise<boolean> {
  cached ??= readFile('/sys/module/apparmor/parameters/enabled', 'utf8').then(
    (text) => text.trim() === 'Y',
    () => false,
  );
  return cached;
}
