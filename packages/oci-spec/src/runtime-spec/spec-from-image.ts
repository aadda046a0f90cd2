import { OciSpecError } from '../errors.js';
import type { ImageConfig } from '../image/image-config.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { DEFAULT_PATH_ENV } from './default-linux-spec.js';
import { readFileInRoot } from './read-in-root.js';
import { resolveImageUser } from './resolve-user.js';
import type { UserDatabases } from './resolve-user.js';
import { mergeEnv, RuntimeSpecBuilder } from './spec-builder.js';
import type { RuntimeSpec } from './types.js';

/** Annotation keys the image-spec conversion sets from image config fields. */
export const ImageAnnotation = {
  Os: 'org.opencontainers.image.os',
  Architecture: 'org.opencontainers.image.architecture',
  Variant: 'org.opencontainers.image.variant',
  OsVersion: 'org.opencontainers.image.os.version',
  OsFeatures: 'org.opencontainers.image.os.features',
  Author: 'org.opencontainers.image.author',
  Created: 'org.opencontainers.image.created',
  StopSignal: 'org.opencontainers.image.stopSignal',
  ExposedPorts: 'org.opencontainers.image.exposedPorts',
} as const;

/** Options for {@link specFromImage} and {@link specFromImageConfig}. */
export interface SpecFromImageOptions {
  /** Starting spec (default: {@link containerBaseSpec}). */
  base?: RuntimeSpec;
  /**
   * Host path of the unpacked root filesystem; /etc/passwd and /etc/group are read from it to
   * resolve names in `User` (symlinks stay inside it). Ignored by {@link specFromImageConfig}.
   */
  rootfs?: string;
  /** `root.path` to write (default: `rootfs` when given, else the base's). */
  rootPath?: string;
  /** /etc/passwd and /etc/group contents; these win over files read from `rootfs`. */
  userDatabases?: UserDatabases;
  /** Replaces the image Entrypoint (the CRI `command`); the image Cmd is then dropped unless `args` is given. */
  command?: readonly string[];
  /** Replaces the image Cmd (the CRI `args`). */
  args?: readonly string[];
  /** Environment added over the image's (`KEY=value` list or a record); same names replace the image's. */
  env?: readonly string[] | Readonly<Record<string, string>>;
  /** Replaces the image WorkingDir. */
  cwd?: string;
  /** Replaces the image User (same syntax). */
  user?: string;
  /** Annotations added last (they override image-derived ones). */
  annotations?: Readonly<Record<string, string>>;
  /** Copy `Config.Labels` into annotations (default `true`). */
  labelsAsAnnotations?: boolean;
  /** Attach a terminal. */
  terminal?: boolean;
  /** Cancels reading the user databases. */
  signal?: AbortSignal;
}

/**
 * The base used for containers made from images: `runc spec`'s default without a terminal,
 * with a writable root, no hostname, `PATH` as the only variable, no command, no rlimits (the
 * runtime's are inherited) and containerd's default capability set ({@link DEFAULT_CAPABILITIES}).
 */
export function containerBaseSpec(): RuntimeSpec {
  return new RuntimeSpecBuilder()
    .setHostname(undefined)
    .setReadonlyRootfs(false)
    .setEnv([DEFAULT_PATH_ENV])
    .setCapabilities(DEFAULT_CAPABILITIES)
    .update((spec) => {
      if (spec.process !== undefined) {
        spec.process.terminal = false;
        delete spec.process.args;
        delete spec.process.rlimits;
      }
    })
    .build();
}

/**
 * Converts an image configuration to a runtime spec following the image-spec conversion rules,
 * reading /etc/passwd and /etc/group from `options.rootfs` when the user is given by name.
 * @throws OciSpecError `UNKNOWN_USER`/`UNKNOWN_GROUP` for a user or group the image does not
 *   define, `NO_COMMAND` when neither the image nor the options give a command,
 *   `ROOTFS_READ_FAILED` when the user databases cannot be read.
 */
export async function specFromImage(image: ImageConfig, options: SpecFromImageOptions = {}): Promise<RuntimeSpec> {
  const user = options.user ?? image.config?.User ?? '';
  let databases: UserDatabases = options.userDatabases ?? {};
  if (options.rootfs !== undefined && needsDatabases(user)) {
    const readOptions = options.signal === undefined ? {} : { signal: options.signal };
    const passwd = databases.passwd ?? (await readFileInRoot(options.rootfs, '/etc/passwd', readOptions));
    const group = databases.group ?? (await readFileInRoot(options.rootfs, '/etc/group', readOptions));
    databases = { ...(passwd === undefined ? {} : { passwd }), ...(group === undefined ? {} : { group }) };
  }
  return specFromImageConfig(image, { ...options, userDatabases: databases });
}

/**
 * Synchronous {@link specFromImage}: user names are resolved only through `options.userDatabases`
 * (`rootfs` is not read).
 */
export function specFromImageConfig(image: ImageConfig, options: SpecFromImageOptions = {}): RuntimeSpec {
  const config = image.config ?? {};
  const builder = new RuntimeSpecBuilder(options.base ?? containerBaseSpec());
  const base = builder.build();

  builder.setArgs(processArgs(config.Entrypoint, config.Cmd, options));

  const overrides = options.env === undefined ? [] : Array.isArray(options.env)
    ? [...(options.env as readonly string[])]
    : Object.entries(options.env as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  builder.setEnv(mergeEnv(mergeEnv(base.process?.env ?? [], config.Env ?? []), overrides));

  const cwd = options.cwd ?? (config.WorkingDir === undefined || config.WorkingDir === '' ? '/' : config.WorkingDir);
  builder.setCwd(cwd.startsWith('/') ? cwd : `/${cwd}`);

  const user = resolveImageUser(options.user ?? config.User ?? '', options.userDatabases ?? {});
  const umask = base.process?.user.umask;
  builder.setUser(umask === undefined ? user : { ...user, umask });
  if (options.terminal !== undefined) builder.setTerminal(options.terminal);

  const rootPath = options.rootPath ?? options.rootfs;
  if (rootPath !== undefined) builder.setRoot(rootPath, { readonly: base.root?.readonly ?? false });

  builder.setAnnotations({ ...imageAnnotations(image), ...(options.labelsAsAnnotations === false ? {} : (config.Labels ?? {})) });
  if (options.annotations !== undefined) builder.setAnnotations(options.annotations);
  return builder.build();
}

/**
 * The command line of a container, as containerd computes it: `command` replaces Entrypoint,
 * `args` replaces Cmd, and the image Cmd is used only when neither is given. Empty lists count
 * as not given; an Entrypoint of `[""]` counts as none.
 */
export function processArgs(
  entrypoint: readonly string[] | undefined,
  cmd: readonly string[] | undefined,
  overrides: { command?: readonly string[]; args?: readonly string[] } = {},
): string[] {
  let command = overrides.command === undefined ? [] : [...overrides.command];
  let args = overrides.args === undefined ? [] : [...overrides.args];
  if (command.length === 0) {
    if (args.length === 0) args = [...(cmd ?? [])];
    // An empty list is "not set", as in CRI (proto3 cannot tell [] from absent).
    if (!(entrypoint?.length === 1 && entrypoint[0] === '')) command = [...(entrypoint ?? [])];
  }
  const all = [...command, ...args];
  if (all.length === 0) {
    throw new OciSpecError('NO_COMMAND', 'no command: the image has neither Entrypoint nor Cmd, and none was given');
  }
  return all;
}

/** The annotations image-spec conversion derives from an image config (Labels not included). */
export function imageAnnotations(image: ImageConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') out[key] = value;
  };
  set(ImageAnnotation.Os, image.os);
  set(ImageAnnotation.Architecture, image.architecture);
  set(ImageAnnotation.Variant, image.variant);
  set(ImageAnnotation.OsVersion, image['os.version']);
  set(ImageAnnotation.OsFeatures, image['os.features']?.join(','));
  set(ImageAnnotation.Author, image.author);
  set(ImageAnnotation.Created, image.created);
  set(ImageAnnotation.StopSignal, image.config?.StopSignal);
  const ports = Object.keys(image.config?.ExposedPorts ?? {});
  set(ImageAnnotation.ExposedPorts, ports.length === 0 ? undefined : ports.join(','));
  return out;
}

/** Only `uid:gid` needs no lookup: a bare uid takes its gid from /etc/passwd, names need both files. */
function needsDatabases(user: string): boolean {
  return !/^[0-9]+:[0-9]+$/.test(user.trim());
}
