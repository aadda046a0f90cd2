import { field, isObject, pointer } from '../validation/issue.js';
import type { SpecContext } from './validation-context.js';

/** Sysctls that are namespaced by the IPC namespace. */
export const IPC_SYSCTLS: readonly string[] = [
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem',
  'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced',
];

/** True when a sysctl is namespaced by the IPC namespace (`kernel.shm*`, `kernel.msg*`, `kernel.sem`, `fs.mqueue.*`). */
export function isIpcSysctl(key: string): boolean {
  return IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.');
}

/** `net.*` sysctls need a network namespace, IPC sysctls an IPC namespace (else they change the host). */
export function validateSysctl(ctx: SpecContext): void {
  const sysctl = field(field(ctx.spec, 'linux'), 'sysctl');
  if (!isObject(sysctl) || !ctx.namespacesKnown) return;
  for (const key of Object.keys(sysctl)) {
    const path = pointer('/linux/sysctl', key);
    const normalized = key.replace(/\//g, '.');
    if (normalized.startsWith('net.') && !ctx.namespaces.has('network')) {
      ctx.out.must(path, 'sysctl-needs-netns', `${key} would change the host: it needs a network namespace`);
    }
    if (isIpcSysctl(normalized) && !ctx.namespaces.has('ipc')) {
      ctx.out.must(path, 'sysctl-needs-ipcns', `${key} would change the host: it needs an ipc namespace`);
    }
  }
}
