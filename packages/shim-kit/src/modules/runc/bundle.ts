import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mounter } from '@shimkit/image-store';
import { RuntimeSpecBuilder, type Resources, type RuntimeSpec } from '@shimkit/oci-spec';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { majorMinor } from './major-minor.js';
import { unmountUnder } from './sandbox-pins.js';

/** What the backend remembers about a container, in `<bundle>/meta.json` (read back after a restart). */
export interface ContainerMeta {
  id: string;
  sandboxId: string;
  /** Runtime handler ('' = default) the container runs with. */
  handler: string;
  logPath: string;
  /** Host pid of the container's init process; unset until StartContainer created it in the runtime. */
  pid?: number;
  conmonPid?: number;
  /** How conmon is to run the container; StartContainer launches it (containerd, too, creates the runtime's container in Start). */
  launch?: ConmonLaunch;
  createdAt: string;
  startedAt?: string;
}

/** What conmon needs to create a container, kept from CreateContainer to StartContainer. */
export interface ConmonLaunch {
  /** The log file conmon writes (a private one when kubelet gave no log path). */
  logPath: string;
  logSizeMax?: number;
  terminal: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
}

/** The parts of the container's process an exec inherits (env, cwd, user, capabilities ...). */
export type ExecTemplate = Omit<NonNullable<RuntimeSpec['process']>, 'args' | 'terminal' | 'consoleSize' | 'commandLine'>;

const META = 'meta.json';

/**
 * The `ociVersion` to write for a runtime whose newest supported runtime-spec version is
 * `max` (its `--version` "spec:" line): a newer minor version is lowered to it, because
 * crun 1.8 refuses versions it does not know while the fields it reads are the same.
 */
export function capOciVersion(version: string, max: string | undefined): string {
  if (max === undefined) return version;
  const [a, b] = majorMinor(version);
  const [c, d] = majorMinor(max);
  return a === c && b > d ? max : version;
}

/**
 * Writes the OCI bundle: `<dir>/config.json` from `spec`, with `root.path` set to `rootfs` (and
 * `ociVersion` capped, see {@link capOciVersion}). Synchronous: a few microsecond calls in the
 * local state dir, where each asynchronous one would be a thread-pool round trip on the
 * CreateContainer path.
 */
export function writeBundle(dir: string, spec: RuntimeSpec, rootfs: string, options: { maxOciVersion?: string } = {}): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const config: RuntimeSpec = { ...spec, ociVersion: capOciVersion(spec.ociVersion, options.maxOciVersion), root: { ...spec.root, path: rootfs } };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
}

/**
 * Merges `resources` into the bundle's `linux.resources` (as CreateContainer's spec builder does:
 * `memory`, `cpu` ... keep the fields not given), for a container the runtime has not created yet.
 */
export async function updateBundleResources(dir: string, resources: Resources): Promise<void> {
  const path = join(dir, 'config.json');
  const spec = await readJsonFile<RuntimeSpec>(path);
  if (spec === undefined) throw new Error(`${path} is missing`);
  await writeFile(path, JSON.stringify(new RuntimeSpecBuilder(spec).setResources(resources).build()), { mode: 0o600 });
}

/** The exec template of a bundle's config.json (after a restart, when only the disk knows it). */
export async function readExecTemplate(dir: string): Promise<ExecTemplate | undefined> {
  const spec = await readJsonFile<RuntimeSpec>(join(dir, 'config.json'));
  return spec?.process === undefined ? undefined : execTemplate(spec);
}

export function execTemplate(spec: RuntimeSpec): ExecTemplate {
  const { args: _args, terminal: _terminal, consoleSize: _size, commandLine: _line, ...rest } = spec.process ?? { cwd: '/', user: { uid: 0, gid: 0 } };
  return { ...rest, cwd: rest.cwd || '/' };
}

export function writeMeta(dir: string, meta: ContainerMeta): Promise<void> {
  return writeJsonFile(join(dir, META), meta);
}

/**
 * The first meta file of a bundle, written in place (synchronously, as {@link writeBundle}): it
 * marks the bundle complete, and a torn one reads back as missing, which the backend treats as
 * a create that died half way.
 */
export function writeFirstMeta(dir: string, meta: ContainerMeta): void {
  writeFileSync(join(dir, META), JSON.stringify(meta));
}

export function readMeta(dir: string): Promise<ContainerMeta | undefined> {
  return readJsonFile<ContainerMeta>(join(dir, META));
}

/**
 * Removes the bundle directory and everything in it (conmon's persist dir included), what is
 * mounted in it (an idmapped root filesystem) unmounted first: nothing is deleted through a mount.
 */
export async function removeBundle(dir: string, mounter: Mounter): Promise<void> {
  // only a container in a user namespace has its own root filesystem mount (see idmappedRootfs)
  if (existsSync(join(dir, 'rootfs'))) await unmountUnder(dir, mounter);
  await rm(dir, { recursive: true, force: true });
}
