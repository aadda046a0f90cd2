import { OciSpecError } from '../errors.js';
import { OciValidationError } from '../validation/issue.js';
import type { ValidationIssue } from '../validation/issue.js';
import { LINUX_CAPABILITIES, normalizeCapability, isKnownCapability } from './capabilities.js';
import { defaultLinuxSpec } from './default-linux-spec.js';
import type {
  Capabilities,
  Device,
  DeviceCgroup,
  Hook,
  Hooks,
  IdMapping,
  Linux,
  Mount,
  NamespaceType,
  Process,
  Resources,
  RuntimeSpec,
  Seccomp,
  User,
} from './types.js';
import { validateRuntimeSpec } from './validate-runtime-spec.js';

/**
 * The sets `setCapabilities`/`addCapabilities` fill. Inheritable stays empty, as containerd and
 * CRI-O leave it since CVE-2022-24769 (file capabilities must not be gained through it).
 */
const CAP_SETS = ['bounding', 'effective', 'permitted'] as const;
/** Hook kinds, in lifecycle order. */
export type HookKind = keyof Hooks;

/**
 * A mutable builder over a runtime spec, with the changes a CRI runtime makes.
 * Starts from a deep copy of `base` (default: {@link defaultLinuxSpec}); methods return `this`.
 * Capability names may be given without `CAP_` and in any case (`net_admin`).
 */
export class RuntimeSpecBuilder {
  readonly #spec: RuntimeSpec;

  constructor(base: RuntimeSpec = defaultLinuxSpec()) {
    this.#spec = structuredClone(base);
  }

  /** Sets `process.args`. */
  setArgs(args: readonly string[]): this {
    this.#process().args = [...args];
    return this;
  }

  /** Replaces the whole environment. */
  setEnv(env: readonly string[]): this {
    this.#process().env = [...env];
    return this;
  }

  /** Sets one variable, replacing an existing entry with the same name in place. */
  setEnvVar(name: string, value: string): this {
    if (name === '' || name.includes('=')) {
      throw new OciSpecError('INVALID_ARGUMENT', `invalid environment variable name ${JSON.stringify(name)}`);
    }
    this.#process().env = mergeEnv(this.#process().env ?? [], [`${name}=${value}`]);
    return this;
  }

  /** Removes a variable. */
  unsetEnvVar(name: string): this {
    const p = this.#process();
    p.env = (p.env ?? []).filter((e) => envName(e) !== name);
    return this;
  }

  /** Sets the working directory (must be absolute). */
  setCwd(cwd: string): this {
    if (!cwd.startsWith('/')) throw new OciSpecError('INVALID_ARGUMENT', `cwd must be absolute, got ${JSON.stringify(cwd)}`);
    this.#process().cwd = cwd;
    return this;
  }

  /** Sets uid, gid and (optionally) supplementary groups and umask. */
  setUser(user: User): this {
    this.#process().user = { ...user, ...(user.additionalGids === undefined ? {} : { additionalGids: [...user.additionalGids] }) };
    return this;
  }

  /** Attaches a terminal (adds `TERM=xterm` when the environment has no TERM). */
  setTerminal(terminal: boolean): this {
    const p = this.#process();
    p.terminal = terminal;
    if (terminal && !(p.env ?? []).some((e) => envName(e) === 'TERM')) p.env = [...(p.env ?? []), 'TERM=xterm'];
    return this;
  }

  /** Sets the hostname (needs a uts namespace). */
  setHostname(hostname: string | undefined): this {
    if (hostname === undefined) delete this.#spec.hostname;
    else this.#spec.hostname = hostname;
    return this;
  }

  /** Sets the root filesystem path and read-only flag. */
  setRoot(path: string, options: { readonly?: boolean } = {}): this {
    this.#spec.root = { path, ...(options.readonly === undefined ? {} : { readonly: options.readonly }) };
    return this;
  }

  /** Makes the root filesystem read-only (or writable). */
  setReadonlyRootfs(readonly: boolean): this {
    this.#spec.root = { path: this.#spec.root?.path ?? 'rootfs', readonly };
    return this;
  }

  /** Adds a mount; one already at the same destination is replaced (later mounts shadow earlier ones). */
  addMount(mount: Mount): this {
    if (!mount.destination.startsWith('/')) {
      throw new OciSpecError('INVALID_ARGUMENT', `mount destination must be absolute, got ${JSON.stringify(mount.destination)}`);
    }
    const mounts = (this.#spec.mounts ?? []).filter((m) => m.destination !== mount.destination);
    mounts.push(structuredClone(mount));
    this.#spec.mounts = mounts;
    return this;
  }

  /** Removes the mount at a destination (and, with `recursive`, the mounts below it). */
  removeMount(destination: string, options: { recursive?: boolean } = {}): this {
    const prefix = destination.endsWith('/') ? destination : `${destination}/`;
    this.#spec.mounts = (this.#spec.mounts ?? []).filter(
      (m) => m.destination !== destination && !(options.recursive === true && m.destination.startsWith(prefix)),
    );
    return this;
  }

  /** Creates a new namespace of a type (replacing a join of that type). */
  addNamespace(type: NamespaceType): this {
    return this.#setNamespace(type, undefined);
  }

  /** Joins an existing namespace by path (e.g. a pod's pinned `/var/run/netns/x`). */
  joinNamespace(type: NamespaceType, path: string): this {
    if (!path.startsWith('/')) throw new OciSpecError('INVALID_ARGUMENT', `namespace path must be absolute, got ${JSON.stringify(path)}`);
    return this.#setNamespace(type, path);
  }

  /** Sets the id mappings of the container's user namespace (`linux.uidMappings`, `linux.gidMappings`). */
  setIdMappings(uidMappings: readonly IdMapping[], gidMappings: readonly IdMapping[]): this {
    const linux = this.#linux();
    linux.uidMappings = uidMappings.map((m) => ({ ...m }));
    linux.gidMappings = gidMappings.map((m) => ({ ...m }));
    return this;
  }

  /** Removes a namespace: the container shares the runtime's (host) namespace of that type. */
  removeNamespace(type: NamespaceType): this {
    const linux = this.#linux();
    linux.namespaces = (linux.namespaces ?? []).filter((n) => n.type !== type);
    return this;
  }

  /** Deep-merges cgroup resources into `linux.resources` (arrays are replaced). */
  setResources(resources: Resources): this {
    const linux = this.#linux();
    linux.resources = deepMerge(linux.resources ?? {}, structuredClone(resources)) as Resources;
    return this;
  }

  /** Sets the cgroups path. */
  setCgroupsPath(path: string): this {
    this.#linux().cgroupsPath = path;
    return this;
  }

  /** Replaces the bounding, effective and permitted sets (inheritable and ambient are cleared). */
  setCapabilities(names: readonly string[]): this {
    const caps = checkCaps(names);
    const next: Capabilities = {};
    for (const set of CAP_SETS) next[set] = [...caps];
    this.#process().capabilities = next;
    return this;
  }

  /** Adds capabilities to the bounding, effective and permitted sets. */
  addCapabilities(names: readonly string[]): this {
    const caps = checkCaps(names);
    const current = this.#process().capabilities ?? {};
    for (const set of CAP_SETS) current[set] = unique([...(current[set] ?? []), ...caps]);
    this.#process().capabilities = current;
    return this;
  }

  /** Removes capabilities from every set (ambient too); `ALL` drops everything. */
  dropCapabilities(names: readonly string[]): this {
    const all = names.some((n) => normalizeCapability(n) === 'CAP_ALL');
    const drop = new Set(all ? LINUX_CAPABILITIES : checkCaps(names));
    const current = this.#process().capabilities ?? {};
    for (const set of [...CAP_SETS, 'ambient'] as const) {
      if (current[set] !== undefined) current[set] = current[set].filter((c) => !drop.has(c));
    }
    this.#process().capabilities = current;
    return this;
  }

  /**
   * Privileged container, as containerd and CRI-O make it: every capability, no masked or
   * read-only paths, no seccomp, AppArmor unconfined, every device allowed, /sys and cgroup
   * mounts writable.
   */
  setPrivileged(): this {
    this.setCapabilities(LINUX_CAPABILITIES);
    const linux = this.#linux();
    delete linux.maskedPaths;
    delete linux.readonlyPaths;
    delete linux.seccomp;
    linux.resources = { ...(linux.resources ?? {}), devices: [{ allow: true, access: 'rwm' }] };
    const p = this.#process();
    p.apparmorProfile = 'unconfined';
    for (const m of this.#spec.mounts ?? []) {
      if ((m.type === 'sysfs' || m.type === 'cgroup' || m.type === 'cgroup2') && m.options !== undefined) {
        m.options = m.options.map((o) => (o === 'ro' ? 'rw' : o));
      }
    }
    return this;
  }

  /** Replaces the masked paths. */
  setMaskedPaths(paths: readonly string[]): this {
    this.#linux().maskedPaths = checkPaths(paths, 'masked path');
    return this;
  }

  /** Replaces the read-only paths. */
  setReadonlyPaths(paths: readonly string[]): this {
    this.#linux().readonlyPaths = checkPaths(paths, 'read-only path');
    return this;
  }

  /** Sets (or with `undefined` removes) the seccomp profile. */
  setSeccomp(profile: Seccomp | undefined): this {
    if (profile === undefined) delete this.#linux().seccomp;
    else this.#linux().seccomp = structuredClone(profile);
    return this;
  }

  /** Sets sysctls (merged with existing ones). */
  setSysctls(sysctls: Readonly<Record<string, string>>): this {
    const linux = this.#linux();
    linux.sysctl = { ...(linux.sysctl ?? {}), ...sysctls };
    return this;
  }

  /** Appends a hook of a kind. */
  addHook(kind: HookKind, hook: Hook): this {
    if (!hook.path.startsWith('/')) throw new OciSpecError('INVALID_ARGUMENT', `hook path must be absolute, got ${JSON.stringify(hook.path)}`);
    const hooks = (this.#spec.hooks ??= {});
    hooks[kind] = [...(hooks[kind] ?? []), structuredClone(hook)];
    return this;
  }

  /** Sets annotations (merged with existing ones). */
  setAnnotations(annotations: Readonly<Record<string, string>>): this {
    this.#spec.annotations = { ...(this.#spec.annotations ?? {}), ...annotations };
    return this;
  }

  /** Sets or replaces one rlimit. */
  setRlimit(type: string, limits: { soft: number; hard: number }): this {
    const p = this.#process();
    p.rlimits = [...(p.rlimits ?? []).filter((r) => r.type !== type), { type, soft: limits.soft, hard: limits.hard }];
    return this;
  }

  /** Sets the OOM score adjustment (-1000..1000). */
  setOomScoreAdj(score: number): this {
    if (!Number.isInteger(score) || score < -1000 || score > 1000) {
      throw new OciSpecError('INVALID_ARGUMENT', `oomScoreAdj must be an integer in -1000..1000, got ${score}`);
    }
    this.#process().oomScoreAdj = score;
    return this;
  }

  /** Sets no_new_privs. */
  setNoNewPrivileges(value: boolean): this {
    this.#process().noNewPrivileges = value;
    return this;
  }

  /** Sets the AppArmor profile and/or SELinux process label. */
  setSecurityLabels(labels: { apparmorProfile?: string; selinuxLabel?: string; mountLabel?: string }): this {
    if (labels.apparmorProfile !== undefined) this.#process().apparmorProfile = labels.apparmorProfile;
    if (labels.selinuxLabel !== undefined) this.#process().selinuxLabel = labels.selinuxLabel;
    if (labels.mountLabel !== undefined) this.#linux().mountLabel = labels.mountLabel;
    return this;
  }

  /** Adds a device node and, unless `allow` is false, a device cgroup rule allowing it (`rwm` by default). */
  addDevice(device: Device, options: { allow?: boolean; access?: string } = {}): this {
    const linux = this.#linux();
    linux.devices = [...(linux.devices ?? []).filter((d) => d.path !== device.path), { ...device }];
    if (options.allow !== false && (device.type === 'c' || device.type === 'b' || device.type === 'u')) {
      const rule: DeviceCgroup = {
        allow: true,
        type: device.type === 'b' ? 'b' : 'c',
        ...(device.major === undefined ? {} : { major: device.major }),
        ...(device.minor === undefined ? {} : { minor: device.minor }),
        access: options.access ?? 'rwm',
      };
      linux.resources = { ...(linux.resources ?? {}), devices: [...(linux.resources?.devices ?? []), rule] };
    }
    return this;
  }

  /** Applies an arbitrary change to the spec being built. */
  update(mutate: (spec: RuntimeSpec) => void): this {
    mutate(this.#spec);
    return this;
  }

  /** Issues of the spec as it stands (see `validateRuntimeSpec`). */
  validate(options: { bundle?: string } = {}): ValidationIssue[] {
    return validateRuntimeSpec(this.#spec, options);
  }

  /**
   * Returns a deep copy of the spec.
   * @throws OciValidationError (`INVALID_RUNTIME_SPEC`) when `validate` is set and a MUST rule is broken.
   */
  build(options: { validate?: boolean } = {}): RuntimeSpec {
    if (options.validate === true) {
      const issues = this.validate().filter((i) => i.level === 'MUST');
      if (issues.length > 0) throw new OciValidationError('INVALID_RUNTIME_SPEC', 'runtime spec', issues);
    }
    return structuredClone(this.#spec);
  }

  #process(): Process {
    return (this.#spec.process ??= { user: { uid: 0, gid: 0 }, cwd: '/' });
  }

  #linux(): Linux {
    return (this.#spec.linux ??= {});
  }

  #setNamespace(type: NamespaceType, path: string | undefined): this {
    const linux = this.#linux();
    const rest = (linux.namespaces ?? []).filter((n) => n.type !== type);
    linux.namespaces = [...rest, path === undefined ? { type } : { type, path }];
    return this;
  }
}

/** Name part of a `KEY=value` entry. */
export function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq === -1 ? entry : entry.slice(0, eq);
}

/** Merges environments: later entries replace earlier ones with the same name in place; new names are appended. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (const entry of overrides) {
    const name = envName(entry);
    const at = out.findIndex((e) => envName(e) === name);
    if (at === -1) out.push(entry);
    else out[at] = entry;
  }
  return out;
}

function checkCaps(names: readonly string[]): string[] {
  const caps = names.map(normalizeCapability);
  const unknown = caps.filter((c) => !isKnownCapability(c));
  if (unknown.length > 0) throw new OciSpecError('INVALID_ARGUMENT', `unknown capabilities: ${unknown.join(', ')}`);
  return unique(caps);
}

function checkPaths(paths: readonly string[], what: string): string[] {
  const bad = paths.filter((p) => !p.startsWith('/'));
  if (bad.length > 0) throw new OciSpecError('INVALID_ARGUMENT', `${what}s must be absolute: ${bad.join(', ')}`);
  return [...paths];
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function deepMerge(target: object, source: object): object {
  const out: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [k, v] of Object.entries(source)) {
    if (k === '__proto__') continue;
    const existing = out[k];
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && existing !== null && typeof existing === 'object' && !Array.isArray(existing)
        ? deepMerge(existing, v as object)
        : v;
  }
  return out;
}
