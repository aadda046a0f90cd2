import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { NamespaceMode } from '@shimkit/cri-types';
import type { HostHelper } from '@shimkit/host-helper';
import { Mounter } from '@shimkit/image-store';
import { podUserNamespace } from '../../spec/user-namespace.js';
import { idmappedRootfs } from './idmapped-rootfs.js';
import { ShimError } from '../../errors.js';
import type { OperationOptions } from '../../interfaces/operation-options.js';
import type { RunSandboxOptions, SandboxInfo } from '../../interfaces/runtime-backend.js';
import { infraRunning, infraSpec, startInfra, stopInfra, type InfraImageSource, type InfraRuntime } from './infra-container.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { DEFAULT_SHM_SIZE_BYTES, podMounts, writePodFiles } from './pod-files.js';
import { podSysctls } from './pod-sysctls.js';
import { mountShm, mountsUnder, pinNamespaces, pinsAlive, unmountUnder } from './sandbox-pins.js';
import { isSafeId, type StateLayout } from './state-layout.js';

/** What the backend remembers about a sandbox, in `<sandbox dir>/meta.json`. */
interface SandboxMeta {
  id: string;
  handler: string;
  info: SandboxInfo;
  /** Namespace files that must stay pinned for the sandbox to work. */
  pins: string[];
  /** The shm tmpfs mount point ('' when the pod uses the host's /dev/shm). */
  shm: string;
  stopped: boolean;
  /** The infra (pause) container of a pod sharing one PID namespace; its runtime id is the sandbox id. */
  infra?: { pid: number; conmonPid: number; stopped: boolean };
}

/** What the manager needs to run infra containers (pods with namespace_options.pid = POD). */
export interface InfraSupport {
  runtime(handler: string): InfraRuntime;
  /** Where the pause image comes from; without it such pods are refused. */
  source: InfraImageSource | undefined;
  cgroupDriver: 'systemd' | 'cgroupfs';
  /** The oom_score_adj the runtime may be asked for, given the wish. */
  oomScoreAdj(wanted: number): number;
}

// kubelet and containerd give the infra process this score, so the OOM killer takes it last
const INFRA_OOM_SCORE_ADJ = -998;

const META = 'meta.json';

/**
 * Pods without an infra process: each sandbox is a directory under the state dir holding
 * its pinned IPC and UTS namespaces, its hostname, hosts and resolv.conf files and its
 * /dev/shm tmpfs; containers join the namespaces by path and bind-mount the files.
 */
export class SandboxManager {
  readonly #layout: StateLayout;
  readonly #shmSize: number;
  readonly #handlers: readonly string[];
  readonly #sandboxes = new Map<string, SandboxMeta>();
  readonly #busy = new Set<string>();
  /** Mounts and unmounts the pods' /dev/shm and namespace pins. */
  readonly #mounter: Mounter;
  readonly #helper: HostHelper;

  readonly #infra: InfraSupport;

  constructor(layout: StateLayout, options: { shmSizeBytes: number | undefined; handlers: readonly string[]; infra: InfraSupport; helper: HostHelper }) {
    this.#layout = layout;
    this.#helper = options.helper;
    this.#mounter = new Mounter(options.helper);
    this.#infra = options.infra;
    this.#shmSize = options.shmSizeBytes ?? DEFAULT_SHM_SIZE_BYTES;
    this.#handlers = options.handlers;
  }

  /** Reads the sandboxes an earlier instance left. */
  async load(): Promise<void> {
    for (const name of await readdir(this.#layout.sandboxesDir)) {
      const meta = await readJsonFile<SandboxMeta>(join(this.#layout.sandbox(name), META));
      if (meta?.id === name) this.#sandboxes.set(name, meta);
      else await this.#destroy(this.#layout.sandbox(name)); // a start that died half way
    }
  }

  /** The runtime handler of a sandbox; undefined when unknown. */
  handlerOf(id: string): string | undefined {
    return this.#sandboxes.get(id)?.handler;
  }

  async run(options: RunSandboxOptions): Promise<SandboxInfo> {
    const { id, config, netnsPath, signal } = options;
    if (!isSafeId(id)) throw new ShimError('InvalidArgument', `sandbox id ${JSON.stringify(id)} is not valid`);
    if (!this.#handlers.includes(options.runtimeHandler)) throw new ShimError('InvalidArgument', `runtime handler "${options.runtimeHandler}" is not configured`);
    const ns = config.linux?.securityContext?.namespaceOptions;
    const hostNetwork = ns?.network === NamespaceMode.NODE;
    const hostIpc = ns?.ipc === NamespaceMode.NODE;
    if (ns?.pid === NamespaceMode.POD && this.#infra.source === undefined) {
      throw new ShimError('Unimplemented', 'a PID namespace shared by the pod (namespace_options.pid = POD) needs an infra container: configure the backend with a pause image (runcConmonModule({ pauseImage }))');
    }
    const sysctls = podSysctls(config.linux?.sysctls ?? {}, { hostNetwork, hostIpc });
    if (netnsPath === undefined && sysctls.some((s) => s.namespace === 'net')) {
      throw new ShimError('InvalidArgument', 'net.* sysctls need the pod network namespace, and the sandbox has none');
    }
    if (podUserNamespace(config) !== undefined && options.usernsPath === undefined) {
      throw new ShimError('InvalidArgument', 'the pod asks for its own user namespace, and the pod network made none');
    }
    if (this.#sandboxes.has(id) || this.#busy.has(id)) throw new ShimError('AlreadyExists', `sandbox "${id}" already exists`);
    const dir = this.#layout.sandbox(id);
    this.#busy.add(id);
    try {
      await mkdir(dir, { recursive: false, mode: 0o711 }).catch((e: unknown) => {
        throw (e as NodeJS.ErrnoException).code === 'EEXIST' ? new ShimError('AlreadyExists', `sandbox "${id}" already exists (its directory is there)`) : e;
      });
      try {
        const meta = await this.#setUp(dir, options, { hostNetwork, hostIpc, sysctls, signal });
        await writeJsonFile(join(dir, META), meta);
        this.#sandboxes.set(id, meta);
        return meta.info;
      } catch (e) {
        if (ns?.pid === NamespaceMode.POD) {
          await stopInfra(this.#infra.runtime(options.runtimeHandler), id, { dir, conmonPid: 0 }).catch(() => undefined);
          await this.#infra.source?.images.releaseRootfs(id).catch(() => undefined);
        }
        await this.#destroy(dir).catch(() => undefined);
        throw e;
      }
    } finally {
      this.#busy.delete(id);
    }
  }

  /** Unmounts the pins and the shm tmpfs; the files stay until {@link remove}. Idempotent. */
  async stop(id: string, options: OperationOptions = {}): Promise<void> {
    const meta = this.#sandboxes.get(id);
    const dir = this.#layout.sandbox(id);
    if (meta === undefined && !(await present(dir))) return;
    if (meta?.infra !== undefined && !meta.infra.stopped) {
      await stopInfra(this.#infra.runtime(meta.handler), id, { dir, conmonPid: meta.infra.conmonPid, ...options });
      meta.infra.stopped = true;
    }
    await unmountUnder(dir, this.#mounter);
    if (meta !== undefined && !meta.stopped) {
      meta.stopped = true;
      await writeJsonFile(join(dir, META), meta);
    }
  }

  /** Unmounts what is left and removes the sandbox directory. Idempotent. */
  async remove(id: string, options: OperationOptions = {}): Promise<void> {
    const dir = this.#layout.sandbox(id);
    const meta = this.#sandboxes.get(id);
    if (meta === undefined && !(await present(dir))) return;
    if (meta?.infra !== undefined) {
      await this.stop(id, options);
      await this.#infra.source?.images.releaseRootfs(id, options);
    }
    await this.#destroy(dir);
    this.#sandboxes.delete(id);
  }

  /** `ready` while not stopped and every pin is still a namespace. */
  async state(id: string, _options: OperationOptions = {}): Promise<'ready' | 'notready'> {
    const meta = this.#sandboxes.get(id);
    if (meta === undefined) throw new ShimError('NotFound', `pod sandbox "${id}" not found in the runtime`);
    if (meta.stopped) return 'notready';
    if (!(await pinsAlive(meta.pins))) return 'notready';
    if (meta.shm !== '' && !(await mountsUnder(meta.shm)).includes(meta.shm)) return 'notready';
    if (meta.infra !== undefined && !(await infraRunning(this.#infra.runtime(meta.handler), id))) return 'notready';
    return 'ready';
  }

  async #setUp(
    dir: string,
    options: RunSandboxOptions,
    how: { hostNetwork: boolean; hostIpc: boolean; sysctls: ReturnType<typeof podSysctls>; signal: AbortSignal | undefined },
  ): Promise<SandboxMeta> {
    const { id, config, netnsPath } = options;
    const signalOption = how.signal === undefined ? {} : { signal: how.signal };
    const hostname = config.hostname || hostHostname();
    const files = await writePodFiles(dir, { hostname, hostNetwork: how.hostNetwork, dns: config.dnsConfig });
    let shm = '';
    if (!how.hostIpc) {
      shm = join(dir, 'shm');
      await mkdir(shm);
      await mountShm(shm, this.#shmSize, this.#mounter, signalOption);
    }
    const pins = await pinNamespaces(dir, {
      ipc: !how.hostIpc,
      uts: how.hostNetwork ? undefined : { hostname },
      ...(netnsPath === undefined ? {} : { netnsPath }),
      ...(options.usernsPath === undefined ? {} : { usernsPath: options.usernsPath }),
      sysctls: how.sysctls,
      helper: this.#helper,
      ...signalOption,
    });
    const info: SandboxInfo = {
      namespaces: {
        ...(netnsPath === undefined ? {} : { network: netnsPath }),
        ...(pins.ipc === undefined ? {} : { ipc: pins.ipc }),
        ...(pins.uts === undefined ? {} : { uts: pins.uts }),
        ...(options.usernsPath === undefined ? {} : { user: options.usernsPath }),
      },
      mounts: podMounts(files, shm === '' ? '/dev/shm' : shm),
    };
    const meta: SandboxMeta = { id, handler: options.runtimeHandler, info, pins: [pins.ipc, pins.uts].filter((p): p is string => p !== undefined), shm, stopped: false };
    if (config.linux?.securityContext?.namespaceOptions?.pid === NamespaceMode.POD) {
      const infra = await this.#runInfra(dir, options, info, hostname);
      meta.infra = { ...infra, stopped: false };
      info.pid = infra.pid;
      info.namespaces.pid = `/proc/${infra.pid}/ns/pid`;
    }
    return meta;
  }

  async #runInfra(dir: string, options: RunSandboxOptions, info: SandboxInfo, hostname: string): Promise<{ pid: number; conmonPid: number }> {
    const source = this.#infra.source;
    if (source === undefined) throw new ShimError('FailedPrecondition', 'no pause image configured');
    const signalOption = options.signal === undefined ? {} : { signal: options.signal };
    const image = (await source.images.status(source.image, signalOption)) ?? (await source.images.pull(source.image, signalOption));
    const prepared = await source.images.prepareRootfs(options.id, image.id, signalOption);
    const spec = await infraSpec({
      id: options.id,
      config: options.config,
      rootfs: prepared.path,
      imageConfig: image.config,
      namespaces: info.namespaces,
      hostname,
      cgroupDriver: this.#infra.cgroupDriver,
      oomScoreAdj: this.#infra.oomScoreAdj(INFRA_OOM_SCORE_ADJ),
    });
    // in the pod's own user namespace, the pause image's files must be root's there too
    const rootfs = await idmappedRootfs(join(dir, 'infra'), prepared.path, spec, this.#helper);
    return startInfra(this.#infra.runtime(options.runtimeHandler), options.id, { dir, spec, rootfs, ...signalOption });
  }

  async #destroy(dir: string): Promise<void> {
    // never recurse into something still mounted (that would empty a tmpfs or fail on a pin): unmountUnder throws then
    await unmountUnder(dir, this.#mounter);
    await rm(dir, { recursive: true, force: true });
  }
}

async function present(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
