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

/** The profile name of a Localhost reference: kubelet and critest may write it as `localhost/<name>`. */
export function appArmorProfileName(ref: string): string {
  return ref.startsWith('localhost/') ? ref.slice('localhost/'.length) : ref;
}

/**
 * Whether a profile is loaded in the kernel, from its listing (`<name> (<mode>)` a line,
 * `/sys/kernel/security/apparmor/profiles`). An unreadable listing counts as not loaded.
 */
export async function appArmorProfileLoaded(name: string, options: { profilesFile?: string; signal?: AbortSignal } = {}): Promise<boolean> {
  const file = options.profilesFile ?? '/sys/kernel/security/apparmor/profiles';
  const text = await readFile(file, { encoding: 'utf8', ...(options.signal === undefined ? {} : { signal: options.signal }) }).catch(() => '');
  return text.split('\n').some((line) => line.replace(/ \([^()]*\)$/, '') === name);
}
