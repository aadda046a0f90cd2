import { join } from 'node:path';

/**
 * Where the backend keeps its volatile state under the shim's state dir: one directory per
 * container (the OCI bundle, conmon's persist dir and pid files, `meta.json`), one per
 * sandbox (namespace pins, pod files, the /dev/shm tmpfs), conmon exit files, attach socket
 * links and the runtime's own state (`--root`).
 */
export class StateLayout {
  readonly base: string;
  readonly runcRoot: string;
  readonly exitDir: string;
  readonly socketDir: string;
  readonly containersDir: string;
  readonly sandboxesDir: string;

  constructor(base: string, options: { runcRoot?: string } = {}) {
    this.base = base;
    this.runcRoot = options.runcRoot ?? join(base, 'runc');
    this.exitDir = join(base, 'exits');
    this.socketDir = join(base, 'sockets');
    this.containersDir = join(base, 'containers');
    this.sandboxesDir = join(base, 'sandboxes');
  }

  /** The container's bundle directory (config.json, conmon's files, meta.json). */
  container(id: string): string {
    return join(this.containersDir, id);
  }

  sandbox(id: string): string {
    return join(this.sandboxesDir, id);
  }
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

/** Ids become directory names and runtime ids: letters, digits, `_.+-`, at most 128 characters. */
export function isSafeId(id: string): boolean {
  return typeof id === 'string' && SAFE_ID.test(id);
}
