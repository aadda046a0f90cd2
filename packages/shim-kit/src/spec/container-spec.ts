import { NamespaceMode, type ContainerConfig } from '@shimkit/cri-types';
import { clampOomScoreAdj } from '@shimkit/runc-driver';
import { isOciSpecError, resolveImageUser, RuntimeSpecBuilder, specFromImageConfig, type RuntimeSpec } from '@shimkit/oci-spec';
import { ShimError, isShimError } from '../errors.js';
import type { ImageRecord } from '../interfaces/image-backend.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import { cgroupsPath } from './cgroups-path.js';
import { applyDevices, applyMounts } from './container-mounts.js';
import { decodeEnv } from './decode-env.js';
import { ociResources } from './linux-resources.js';
import { readUserDatabases, requestedUser, supplementaryGroups } from './container-user.js';
import { applySecurityContext } from './security-context.js';
import { joinPodUserNamespace, podUserNamespace } from './user-namespace.js';

/** What {@link containerSpec} builds a runtime spec from. */
export interface ContainerSpecInput {
  id: string;
  sandbox: SandboxRecord;
  config: ContainerConfig;
  image: ImageRecord;
  /**
   * Host path of the root filesystem, or its preparation: everything that does not read the
   * rootfs is built while it is being mounted.
   */
  rootfs: string | Promise<string>;
  oom: { restrict: boolean; floor: number };
  cgroupDriver: 'systemd' | 'cgroupfs';
  signal?: AbortSignal;
}

function joinSandboxNamespaces(builder: RuntimeSpecBuilder, input: ContainerSpecInput): void {
  const { sandbox, config } = input;
  const options = config.linux?.securityContext?.namespaceOptions ?? sandbox.config.linux?.securityContext?.namespaceOptions;
  const ns = sandbox.info.namespaces;
  const hostNetwork = (sandbox.config.linux?.securityContext?.namespaceOptions?.network ?? NamespaceMode.POD) === NamespaceMode.NODE;
  const netns = ns.network ?? sandbox.netnsPath;
  if (hostNetwork) builder.removeNamespace('network').removeNamespace('uts');
  else {
    if (netns !== undefined) builder.joinNamespace('network', netns);
    if (ns.uts !== undefined) builder.joinNamespace('uts', ns.uts);
    builder.setHostname(sandbox.config.hostname || undefined);
  }
  if ((options?.ipc ?? NamespaceMode.POD) === NamespaceMode.NODE) builder.removeNamespace('ipc');
  else if (ns.ipc !== undefined) builder.joinNamespace('ipc', ns.ipc);
  const pid = options?.pid ?? NamespaceMode.CONTAINER;
  if (pid === NamespaceMode.NODE) builder.removeNamespace('pid');
  else if (pid === NamespaceMode.TARGET) throw new ShimError('Unimplemented', 'PID namespace mode TARGET is not supported');
  else if (pid === NamespaceMode.POD && ns.pid !== undefined) builder.joinNamespace('pid', ns.pid);
  joinUserNamespace(builder, input, options?.usernsOptions?.mode);
}

/** A pod with its own user namespace: every container joins it, with the pod's id mappings. */
function joinUserNamespace(builder: RuntimeSpecBuilder, input: ContainerSpecInput, mode: NamespaceMode | undefined): void {
  const { sandbox } = input;
  const pod = podUserNamespace(sandbox.config);
  const path = sandbox.info.namespaces.user;
  if (pod === undefined || path === undefined) {
    if (mode !== undefined && mode !== NamespaceMode.NODE) throw new ShimError('InvalidArgument', `container user namespace mode ${NamespaceMode[mode] ?? mode} needs a pod with its own user namespace`);
    return;
  }
  if (mode === NamespaceMode.NODE) throw new ShimError('InvalidArgument', 'a container of a pod with its own user namespace cannot use the host user namespace');
  joinPodUserNamespace(builder, path, pod);
}


/**
 * The runtime spec of a CRI container: the image config with the request's command, args,
 * env (bytes decoded as UTF-8), working dir and user (supplementary groups per the
 * security context's policy); the sandbox's namespaces and mounts;
 * volume mounts and devices; resources (oom_score_adj clamped when restricted); the security
 * context; validated. Bad requests throw `ShimError('InvalidArgument')` saying what is wrong.
 */
export async function containerSpec(input: ContainerSpecInput): Promise<RuntimeSpec> {
  const { config, sandbox } = input;
  try {
    const env = decodeEnv(config.envs);
    if (sandbox.config.hostname !== '') env.unshift(`HOSTNAME=${sandbox.config.hostname}`);
    const user = requestedUser(config);
    // The user is resolved below, from the rootfs' /etc/passwd; until then the spec says root.
    const base = specFromImageConfig(input.image.config, {
      ...(config.command.length > 0 ? { command: config.command } : {}),
      ...(config.args.length > 0 ? { args: config.args } : {}),
      env,
      ...(config.workingDir !== '' ? { cwd: config.workingDir } : {}),
      user: '0:0',
      terminal: config.tty,
    });
    const builder = new RuntimeSpecBuilder(base);
    const sc = config.linux?.securityContext;
    joinSandboxNamespaces(builder, input);
    for (const mount of sandbox.info.mounts) builder.addMount(mount);
    applyMounts(builder, config.mounts);
    await applyDevices(builder, config.devices);
    await applySecurityContext(builder, sc, {
      sandboxPrivileged: sandbox.config.linux?.securityContext?.privileged ?? false,
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    });
    const resources = config.linux?.resources;
    builder.setResources(ociResources(resources));
    if (resources !== undefined) builder.setOomScoreAdj(clampOomScoreAdj(Number(resources.oomScoreAdj), { current: input.oom.floor, canLower: !input.oom.restrict }));
    builder.setCgroupsPath(cgroupsPath(input.cgroupDriver, sandbox.config.linux?.cgroupParent ?? '', input.id));
    builder.setAnnotations({
      ...config.annotations,
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': config.metadata?.name ?? '',
      'io.kubernetes.cri.sandbox-id': sandbox.id,
      'io.kubernetes.cri.image-name': input.image.repoTags[0] ?? input.image.id,
    });
    const rootfs = await input.rootfs;
    builder.setRoot(rootfs, { readonly: sc?.readonlyRootfs ?? false });
    const databases = await readUserDatabases(rootfs, input.signal);
    const userSpec = user ?? input.image.config.config?.User ?? '';
    const resolved = resolveImageUser(userSpec, databases);
    const umask = base.process?.user.umask;
    builder.setUser({
      ...resolved,
      ...(umask === undefined ? {} : { umask }),
      additionalGids: supplementaryGroups({ uid: resolved.uid, gid: resolved.gid, userSpec, databases, config }),
    });
    return builder.build({ validate: true });
  } catch (e) {
    if (isShimError(e)) throw e;
    if (isOciSpecError(e)) {
      throw new ShimError(e.code === 'ROOTFS_READ_FAILED' ? 'Internal' : 'InvalidArgument', `container config: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
