import { isKnownCapability, normalizeCapability, readFileInRoot, resolveImageUser, RuntimeSpecBuilder, specFromImageConfig, isOciSpecError, type ImageConfig, type RuntimeSpec } from '@shimkit/oci-spec';
import { ShimError } from '../errors.js';
import { defaultSeccompProfile } from '../spec/default-seccomp.js';
import type { NetworkMode } from './engine-container.js';
import type { VolumeMount } from './volume-mount.js';

/** podman 4.3's default capability set (Debian's containers.conf `default_capabilities`). */
export const PODMAN_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

/** What a container's process and limits are made of, besides the image. */
export interface EngineSpecInput {
  id: string;
  image: ImageConfig;
  rootfs: string;
  /** Replaces the image's Entrypoint (`--entrypoint`); with it the image's Cmd is dropped. */
  entrypoint?: readonly string[];
  /** Replaces the image's Cmd (the words after the image). */
  command?: readonly string[];
  env?: readonly string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  readOnly?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  memoryBytes?: number;
  cpus?: { quota: number; period: number };
  volumes?: readonly VolumeMount[];
  network: NetworkMode;
  /** The pinned namespace of a bridge-networked container. */
  netnsPath?: string;
  hostname: string;
  /** Host files bind-mounted over /etc/hosts, /etc/hostname and /etc/resolv.conf. */
  etcFiles?: { hosts?: string; hostname?: string; resolvConf?: string; passwd?: string; group?: string };
  cgroupsPath: string;
}

function checkCaps(names: readonly string[], flag: string): string[] {
  return names.map((n) => {
    const cap = normalizeCapability(n);
    if (cap !== 'CAP_ALL' && !isKnownCapability(cap)) throw new ShimError('InvalidArgument', `${flag}: unknown capability ${JSON.stringify(n)}`);
    return cap;
  });
}

/**
 * The runtime spec of an engine container, made as podman makes it: the image config with the
 * overrides, podman's capability set and a default seccomp profile, tmpfs on /tmp, /var/tmp and /run for a read-only rootfs,
 * bind-mounted volumes, and the network namespace of the chosen mode.
 * @throws ShimError `InvalidArgument` for a missing command, an unknown user or capability.
 */
export async function engineSpec(input: EngineSpecInput): Promise<RuntimeSpec> {
  const userSpec = input.user ?? input.image.config?.User ?? '';
  let base: RuntimeSpec;
  try {
    const [passwd, group] = await Promise.all([readFileInRoot(input.rootfs, '/etc/passwd'), readFileInRoot(input.rootfs, '/etc/group')]);
    base = specFromImageConfig(input.image, {
      ...(input.entrypoint !== undefined ? { command: input.entrypoint, ...(input.command && input.command.length > 0 ? { args: input.command } : {}) } : {}),
      ...(input.entrypoint === undefined && input.command && input.command.length > 0 ? { args: input.command } : {}),
      env: [`HOSTNAME=${input.hostname}`, ...(input.tty ? ['TERM=xterm'] : []), ...(input.env ?? [])],
      ...(input.workdir === undefined ? {} : { cwd: input.workdir }),
      user: userSpec,
      userDatabases: { ...(passwd === undefined ? {} : { passwd }), ...(group === undefined ? {} : { group }) },
      terminal: input.tty ?? false,
      rootPath: input.rootfs,
    });
    if (userSpec !== '') resolveImageUser(userSpec, { ...(passwd === undefined ? {} : { passwd }), ...(group === undefined ? {} : { group }) });
  } catch (e) {
    if (isOciSpecError(e)) {
      const what = e.code === 'NO_COMMAND' ? 'no command given and the image has none' : e.message;
      throw new ShimError('InvalidArgument', what, { cause: e });
    }
    throw e;
  }
  if ((base.process?.args ?? []).length === 0) throw new ShimError('InvalidArgument', 'no command given and the image has none');
  const builder = new RuntimeSpecBuilder(base).setCapabilities(PODMAN_DEFAULT_CAPABILITIES);
  const processUser = base.process?.user;
  if (processUser !== undefined) builder.setUser({ ...processUser, additionalGids: [...new Set([processUser.gid, ...(processUser.additionalGids ?? [])])] });
  const add = checkCaps(input.capAdd ?? [], '--cap-add');
  const drop = checkCaps(input.capDrop ?? [], '--cap-drop');
  if (drop.length > 0) builder.dropCapabilities(drop);
  if (add.includes('CAP_ALL')) builder.setPrivileged();
  else if (add.length > 0) builder.addCapabilities(add);
  // As podman applies its default seccomp profile: the CRI's RuntimeDefault one, given back the
  // syscalls the container's capabilities unlock anyway (a privileged container has none).
  if (!add.includes('CAP_ALL')) builder.update((spec) => void ((spec.linux ??= {}).seccomp = defaultSeccompProfile(spec.process?.capabilities?.bounding ?? [])));
  builder.setRoot(input.rootfs, { readonly: input.readOnly ?? false });
  if (input.readOnly) {
    for (const dir of ['/tmp', '/var/tmp', '/run']) {
      builder.addMount({ destination: dir, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    }
  }
  // parents before what is mounted inside them (-v /x:/a/b -v /y:/a would hide /a/b), as podman sorts
  const depth = (path: string): number => path.split('/').filter((p) => p !== '').length;
  for (const v of [...(input.volumes ?? [])].sort((a, b) => depth(a.destination) - depth(b.destination))) {
    builder.addMount({ destination: v.destination, type: 'bind', source: v.source, options: ['rbind', 'rprivate', v.readonly ? 'ro' : 'rw'] });
  }
  const etc = input.etcFiles ?? {};
  for (const [name, source] of [['hosts', etc.hosts], ['hostname', etc.hostname], ['resolv.conf', etc.resolvConf], ['passwd', etc.passwd], ['group', etc.group]] as const) {
    if (source !== undefined) builder.addMount({ destination: `/etc/${name}`, type: 'bind', source, options: ['bind', 'rprivate', ...(input.readOnly ? ['ro'] : [])] });
  }
  if (input.network === 'host') builder.removeNamespace('network').removeNamespace('uts');
  else {
    if (input.network === 'bridge' && input.netnsPath !== undefined) builder.joinNamespace('network', input.netnsPath);
    builder.setHostname(input.hostname);
  }
  builder.setResources({
    ...(input.memoryBytes === undefined ? {} : { memory: { limit: input.memoryBytes } }),
    ...(input.cpus === undefined ? {} : { cpu: { quota: input.cpus.quota, period: input.cpus.period } }),
  });
  builder.setCgroupsPath(input.cgroupsPath);
  return builder.build({ validate: true });
}
