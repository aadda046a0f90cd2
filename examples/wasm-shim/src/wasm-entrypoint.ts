import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { RuntimeSpec } from '@shimkit/oci-spec';
import { ShimError } from 'shimkit';
import { resolveInRoot } from './resolve-in-root.js';
import type { Preopen } from './runner/runner-config.js';

/**
 * The host path of a container's module: the spec's `process.args[0]`, a `.wasm` file in the
 * image's root filesystem (runwasi's convention; the Wasm OCI artifact's module is unpacked as
 * `/module.wasm` and named by the image config), links followed inside the root filesystem. It
 * must be a WebAssembly module.
 */
export async function wasmEntrypoint(spec: RuntimeSpec, rootfs: string): Promise<string> {
  const command = spec.process?.args?.[0];
  if (command === undefined || command === '') {
    throw new ShimError('InvalidArgument', 'runtime handler "wasm": the container has no command; its first argument must be the path of a .wasm module in the image');
  }
  const inContainer = posix.resolve(spec.process?.cwd ?? '/', command);
  let host: string;
  try {
    // links in the image are the container's: followed inside its root, never out of it
    host = await resolveInRoot(rootfs, inContainer);
  } catch (e) {
    throw new ShimError('InvalidArgument', `runtime handler "wasm": module ${JSON.stringify(command)} is not in the image (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  if (!(await stat(host)).isFile()) throw new ShimError('InvalidArgument', `runtime handler "wasm": module ${JSON.stringify(command)} is not a file`);
  if (!WebAssembly.validate(await readFile(host))) {
    throw new ShimError('InvalidArgument', `runtime handler "wasm": ${JSON.stringify(command)} is not a valid WebAssembly module`);
  }
  return host;
}

/**
 * The directories the module may use: the root filesystem as `/` (read-only with
 * `root.readonly`), the working directory as `.` (as WASI runtimes offer the current directory),
 * and every bind-mounted directory (a CRI volume) at its destination, read-only with `ro`.
 * Mounted files (kubelet's /etc/hosts, termination log) cannot be preopens and are left out.
 */
export async function wasmPreopens(spec: RuntimeSpec, rootfs: string): Promise<Preopen[]> {
  const rootReadOnly = spec.root?.readonly === true;
  const cwd = posix.resolve('/', spec.process?.cwd ?? '/');
  const preopens: Preopen[] = [{ guest: '/', host: rootfs, readOnly: rootReadOnly }];
  const cwdHost = posix.join(rootfs, cwd);
  if (await isDirectory(cwdHost)) preopens.push({ guest: '.', host: cwdHost, readOnly: rootReadOnly });
  for (const mount of spec.mounts ?? []) {
    const options = mount.options ?? [];
    const bind = mount.type === 'bind' || options.includes('bind') || options.includes('rbind');
    if (!bind || mount.source === undefined || !(await isDirectory(mount.source))) continue;
    preopens.push({ guest: posix.resolve('/', mount.destination), host: mount.source, readOnly: options.includes('ro') });
  }
  return preopens;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** `KEY=value` entries of the spec as a record (a later entry wins). */
export function specEnv(spec: RuntimeSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of spec.process?.env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}
