import { join } from 'node:path';
import { NamespaceMode, type PodSandboxConfig } from '@shimkit/cri-types';
import { RuntimeSpecBuilder, specFromImage, type RuntimeSpec } from '@shimkit/oci-spec';
import type { Conmon, ExitWatcher, Runc } from '@shimkit/runc-driver';
import { isRuncError } from '@shimkit/runc-driver';
import type { Mounter } from '@shimkit/image-store';
import { cgroupsPath } from '../../spec/cgroups-path.js';
import { ShimError } from '../../errors.js';
import type { ImageBackend } from '../../interfaces/image-backend.js';
import type { SandboxNamespaces } from '../../interfaces/runtime-backend.js';
import { removeBundle, writeBundle } from './bundle.js';
import { toShimError } from './runc-errors.js';
import { joinPodUserNamespace, podUserNamespace } from '../../spec/user-namespace.js';
import { processAlive, waitFor } from './wait.js';

/** Where the pause image comes from, for pods that share one PID namespace. */
export interface InfraImageSource {
  /** The pause image reference (pulled when missing), e.g. `registry.k8s.io/pause:3.9`. */
  image: string;
  images: ImageBackend;
}

/** The runtime an infra container runs with. */
export interface InfraRuntime {
  runc: Runc;
  conmon: Conmon;
  watcher: ExitWatcher;
  /** Unmounts what the bundle holds (an idmapped root filesystem) before it is removed. */
  mounter: Mounter;
  maxOciVersion(): Promise<string | undefined>;
}

/** A running infra container (its runtime id is the sandbox id). */
export interface InfraProcess {
  pid: number;
  conmonPid: number;
}

/** The infra container's spec: the pause image's command in the pod's namespaces, a new PID namespace it holds. */
export async function infraSpec(input: {
  id: string;
  config: PodSandboxConfig;
  rootfs: string;
  imageConfig: Parameters<typeof specFromImage>[0];
  namespaces: SandboxNamespaces;
  hostname: string;
  cgroupDriver: 'systemd' | 'cgroupfs';
  oomScoreAdj: number;
}): Promise<RuntimeSpec> {
  const base = await specFromImage(input.imageConfig, { rootfs: input.rootfs, rootPath: input.rootfs, terminal: false });
  const b = new RuntimeSpecBuilder(base).setReadonlyRootfs(true).addNamespace('pid');
  const ns = input.namespaces;
  const hostNetwork = input.config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
  if (hostNetwork) b.removeNamespace('network').removeNamespace('uts');
  else {
    if (ns.network !== undefined) b.joinNamespace('network', ns.network);
    if (ns.uts !== undefined) b.joinNamespace('uts', ns.uts);
    b.setHostname(input.hostname);
  }
  if (ns.ipc !== undefined) b.joinNamespace('ipc', ns.ipc);
  else b.removeNamespace('ipc');
  // in the pod's own user namespace, so that the PID namespace it holds belongs to it too
  const userns = podUserNamespace(input.config);
  if (ns.user !== undefined && userns !== undefined) joinPodUserNamespace(b, ns.user, userns);
  b.setCgroupsPath(cgroupsPath(input.cgroupDriver, input.config.linux?.cgroupParent ?? '', input.id));
  b.setOomScoreAdj(input.oomScoreAdj);
  b.setAnnotations({ 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': input.id });
  return b.build({ validate: true });
}

/** Runs the infra container under conmon from `<dir>/infra` and starts it. */
export async function startInfra(runtime: InfraRuntime, id: string, options: { dir: string; spec: RuntimeSpec; rootfs: string; signal?: AbortSignal }): Promise<InfraProcess> {
  const bundle = join(options.dir, 'infra');
  const maxOciVersion = await runtime.maxOciVersion();
  writeBundle(bundle, options.spec, options.rootfs, maxOciVersion === undefined ? {} : { maxOciVersion });
  try {
    const created = await runtime.conmon.create(id, {
      bundle,
      logPath: join(bundle, 'infra.log'),
      logSizeMax: 1024 * 1024,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    await runtime.runc.start(id, options.signal === undefined ? {} : { signal: options.signal });
    return { pid: created.pid, conmonPid: created.conmonPid };
  } catch (e) {
    await stopInfra(runtime, id, { dir: options.dir, conmonPid: 0 }).catch(() => undefined);
    throw toShimError(e, `starting the infra container of sandbox ${id}`);
  }
}

/** Kills and deletes the infra container, waits for its conmon, removes its exit file and bundle. Idempotent. */
export async function stopInfra(runtime: InfraRuntime, id: string, options: { dir: string; conmonPid: number; signal?: AbortSignal }): Promise<void> {
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  try {
    await runtime.runc.delete(id, { force: true, ...signalOption });
  } catch (e) {
    if (!isRuncError(e, 'NOT_FOUND')) throw toShimError(e, `stopping the infra container of sandbox ${id}`);
  }
  if (processAlive(options.conmonPid, 'conmon')) await runtime.watcher.wait(id, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  if (!(await waitFor(() => !processAlive(options.conmonPid, 'conmon'), { timeoutMs: 5000, intervalMs: 2 }))) {
    throw new ShimError('Internal', `the conmon of sandbox ${id}'s infra container did not exit`);
  }
  await runtime.conmon.removeExitFile(id);
  await removeBundle(join(options.dir, 'infra'), runtime.mounter);
}

/** Whether the infra container still runs. */
export async function infraRunning(runtime: InfraRuntime, id: string): Promise<boolean> {
  if ((await runtime.conmon.exitStatus(id)) !== undefined) return false;
  const state = await runtime.runc.state(id).catch(() => undefined);
  return state?.status === 'running';
}
