import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import { ImageStore, isImageStoreError, type ImageRecord, type PullProgress, type RegistryClientOptions } from '@shimkit/image-store';
import { formatImageReference, parseImageReference } from '@shimkit/oci-spec';
import { Conmon, Runc, isRuncError, readCgroupStats, type KillSignal } from '@shimkit/runc-driver';
import { ShimError, isShimError } from '../errors.js';
import type { AttachSession, ExecProcess } from '../interfaces/runtime-backend.js';
import type { PodPortMapping } from '../interfaces/pod-network.js';
import { newId } from '../lifecycle/new-id.js';
import { readExecTemplate, writeBundle } from '../modules/runc/bundle.js';
import { CONMON_RESIZE, writeConmonControl } from '../modules/runc/conmon-control.js';
import { ATTACH_STDERR, ATTACH_STDOUT, connectSeqpacket } from '../modules/runc/seqpacket-relay.js';
import { startRuncExec } from '../modules/runc/runc-exec-process.js';
import { readContainerLog, type LogSink, type ReadLogOptions } from './container-logs.js';
import { ContainerRecords } from './container-records.js';
import { containerName, isValidName } from './container-name.js';
import type { ContainerView, EngineContainer, NetworkMode } from './engine-container.js';
import { DEFAULT_ENGINE_ROOT, DEFAULT_ENGINE_RUNROOT, EngineLayout } from './engine-layout.js';
import { withEngineLock } from './engine-lock.js';
import { EngineNetwork } from './engine-network.js';
import { engineSpec } from './engine-spec.js';
import { writeEtcFiles } from './etc-files.js';
import { userEntries } from './user-entries.js';
import type { VolumeMount } from './volume-mount.js';
import { waitForExit } from './wait-exit.js';

/** Constructor options of {@link ContainerEngine}. */
export interface ContainerEngineOptions {
  /** Persistent root: images (`<root>/images`, shareable with `shimkit serve --root`) and containers. Default /var/lib/shimkit. */
  root?: string;
  /** Volatile run dir: bundles, runc state, exit files, network namespaces. Default /run/shimkit. */
  runroot?: string;
  /** Runtime binary (default `runc`). */
  runtime?: string;
  /** conmon binary (default `conmon`). */
  conmon?: string;
  /** CNI plugin dirs (default `/opt/cni/bin`, `/usr/lib/cni`). */
  cniBinDirs?: readonly string[];
  /** cgroupfs parent of the containers' cgroups (default `/shimkit`). */
  cgroupParent?: string;
  /** Registry settings for pulls (hosts, credentials). */
  registry?: RegistryClientOptions;
  /** The host helper (shared, not closed here); default one of its own. */
  helper?: HostHelper;
}

/** Options of {@link ContainerEngine.create}: podman's `run`/`create` flags. */
export interface CreateContainerRequest {
  image: string;
  /** Replaces the image's Cmd. */
  command?: readonly string[];
  entrypoint?: readonly string[];
  name?: string;
  env?: readonly string[];
  volumes?: readonly VolumeMount[];
  ports?: readonly PodPortMapping[];
  network?: NetworkMode;
  user?: string;
  workdir?: string;
  readOnly?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  memoryBytes?: number;
  cpus?: { quota: number; period: number };
  tty?: boolean;
  interactive?: boolean;
  autoRemove?: boolean;
  /** Called while an image that is not there is pulled. */
  onPull?: (image: string, progress?: PullProgress) => void;
  signal?: AbortSignal;
}

/** Which streams {@link ContainerEngine.start} attaches to before the container runs. */
export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Resource use of a running container. */
export interface ContainerStats {
  id: string;
  name: string;
  cpuNanos: number;
  memoryBytes: number;
  memoryLimitBytes?: number;
  pids: number;
}

const STOP_KILL_WAIT_MS = 10_000;

/**
 * A daemonless container engine (podman's model) over shimkit's parts: images from an
 * ImageStore, containers run by conmon + runc (they outlive the process that started them),
 * the bridge network through the shim's CNI code, state in files under a root and a run dir,
 * changed under a lock file so concurrent processes are safe. Every instance on the same dirs
 * sees the same containers.
 */
export class ContainerEngine implements AsyncDisposable {
  readonly layout: EngineLayout;
  readonly records: ContainerRecords;
  readonly #options: ContainerEngineOptions;
  readonly #lease: HelperLease;
  readonly #runc: Runc;
  readonly #conmon: Conmon;
  readonly #network: EngineNetwork;
  #store: ImageStore | undefined;

  constructor(options: ContainerEngineOptions = {}) {
    this.#options = options;
    this.layout = new EngineLayout(options.root ?? DEFAULT_ENGINE_ROOT, options.runroot ?? DEFAULT_ENGINE_RUNROOT);
    this.records = new ContainerRecords(this.layout);
    this.#lease = leaseHelper(options.helper);
    this.#runc = new Runc({ binary: options.runtime ?? 'runc', root: this.layout.runcRoot, helper: this.#lease.helper });
    this.#conmon = new Conmon({ runc: this.#runc, exitDir: this.layout.exitDir, socketDir: this.layout.socketDir, logLevel: 'error', ...(options.conmon ? { binary: options.conmon } : {}) });
    this.#network = new EngineNetwork(this.layout, { helper: this.#lease.helper, ...(options.cniBinDirs ? { binDirs: options.cniBinDirs } : {}) });
  }

  // ---- images ------------------------------------------------------------------------------

  /** Pulls an image (the store is opened under the engine's lock). */
  async pull(ref: string, options: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<ImageRecord> {
    const name = normalizeImage(ref);
    return this.#locked(async () => {
      const store = await this.#openStore();
      try {
        return await store.pull(name, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      } catch (e) {
        throw pullFailure(ref, e);
      }
    }, options.signal);
  }

  async images(options: { signal?: AbortSignal } = {}): Promise<ImageRecord[]> {
    return this.#locked(async () => (await this.#openStore()).list(), options.signal);
  }

  /** Removes an image name (the image with its last name); refused while a container uses it unless `force`. */
  async removeImage(ref: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<ImageRecord> {
    return this.#locked(async () => {
      const store = await this.#openStore();
      const image = store.get(ref);
      if (image === undefined) throw new ShimError('NotFound', `${ref}: image not known`);
      const records = await this.records.list();
      // A rootfs on the image that is none of ours is another program's container on the shared store (a pod of `shimkit serve`):
      // refused even with --force, as this engine cannot remove it (podman's answer for external containers).
      const mine = new Set(records.map((c) => c.id));
      const foreign = (await store.rootfsUsers(image.id)).filter((id) => !mine.has(id));
      if (foreign.length > 0) {
        throw new ShimError('FailedPrecondition', `image ${ref} is in use by container ${foreign[0]!.slice(0, 12)} of another program on this image store (remove it there first)`);
      }
      const users = records.filter((c) => c.imageId === image.id);
      if (users.length > 0 && !options.force) {
        throw new ShimError('FailedPrecondition', `image ${ref} is in use by container ${users[0]?.name ?? ''} (remove it first, or use --force)`);
      }
      for (const c of users) await this.#remove(c, true);
      await store.remove(ref);
      // Another process sharing the store may be pulling: its next gc (or ours) frees the layers then.
      if (store.get(image.id) === undefined) await store.gc().catch((e: unknown) => {
        if (!isImageStoreError(e, 'IN_USE')) throw e;
      });
      return image;
    }, options.signal);
  }

  // ---- containers --------------------------------------------------------------------------

  /** Creates a container (pulling its image if missing): rootfs, network, bundle, record. Nothing is left behind when it fails. */
  async create(request: CreateContainerRequest): Promise<EngineContainer> {
    return this.#locked(() => this.#create(request), request.signal);
  }

  /**
   * Creates and starts a container in one step (one lock, one store opening): see
   * {@link create} and {@link start}.
   */
  async run(request: CreateContainerRequest, options: { attach?: AttachStreams; exitCommand?: (id: string) => string[] } = {}): Promise<{ container: EngineContainer; session?: AttachSession }> {
    return this.#locked(async () => {
      const created = await this.#create(request);
      try {
        return await this.#start(created, options);
      } catch (e) {
        await this.#remove(created, true).catch(() => undefined);
        throw e;
      }
    }, request.signal);
  }

  /**
   * Starts a created or exited container under a new conmon; with `attach`, connects to its
   * streams before it runs, so no output is missed.
   */
  async start(ref: string, options: { attach?: AttachStreams; exitCommand?: (id: string) => string[]; signal?: AbortSignal } = {}): Promise<{ container: EngineContainer; session?: AttachSession }> {
    return this.#locked(async () => {
      const c = await this.records.find(ref);
      const view = await this.records.view(c);
      if (view.status === 'running') return { container: c };
      return this.#start(await this.#cleanup(c), options);
    }, options.signal);
  }

  async list(options: { all?: boolean } = {}): Promise<ContainerView[]> {
    const views = await Promise.all((await this.records.list()).map((c) => this.records.view(c)));
    return options.all ? views : views.filter((v) => v.status === 'running');
  }

  async inspect(ref: string): Promise<ContainerView> {
    return this.records.view(await this.records.find(ref));
  }

  /** Waits for the container to exit; resolves with its exit code (-1 when unknown). Records the exit and releases its network. */
  async wait(ref: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    const c = await this.records.find(ref);
    const view = await this.records.view(c);
    if (view.status === 'created') throw new ShimError('FailedPrecondition', `container ${c.name} has not been started`);
    let exitCode = view.exitCode;
    if (view.status === 'running') {
      const exit = await waitForExit(this.layout.exitDir, c.id, { ...(c.conmonPid === undefined ? {} : { conmonPid: c.conmonPid }), ...(options.signal ? { signal: options.signal } : {}) });
      exitCode = exit?.exitCode;
    }
    return exitCode ?? -1;
  }

  /** After an exit: records it, deletes the runtime's container and detaches the network (idempotent). */
  async cleanup(ref: string, options: { signal?: AbortSignal } = {}): Promise<EngineContainer> {
    return this.#locked(async () => this.#cleanup(await this.records.find(ref)), options.signal);
  }

  /** Sends a signal to the container's process. */
  async kill(ref: string, signal: string = 'SIGKILL'): Promise<EngineContainer> {
    const c = await this.records.find(ref);
    const view = await this.records.view(c);
    if (view.status !== 'running') throw new ShimError('FailedPrecondition', `container ${c.name} is not running`);
    await this.#runc.kill(c.id, normalizeSignal(signal), { all: false }).catch((e: unknown) => {
      if (isRuncError(e, 'NOT_FOUND') || isRuncError(e, 'INVALID_STATE')) return;
      throw new ShimError('Internal', `cannot signal container ${c.name}: ${(e as Error).message}`, { cause: e });
    });
    return c;
  }

  /** Stops a running container: its stop signal, then SIGKILL after `timeoutSeconds` (default 10). */
  async stop(ref: string, options: { timeoutSeconds?: number; signal?: AbortSignal } = {}): Promise<EngineContainer> {
    const c = await this.records.find(ref);
    if ((await this.records.view(c)).status === 'running') {
      const timeout = options.timeoutSeconds ?? 10;
      const gone = async (ms: number): Promise<boolean> => {
        const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
        return waitForExit(this.layout.exitDir, c.id, { ...(c.conmonPid === undefined ? {} : { conmonPid: c.conmonPid }), signal, checkMs: 50 }).then(
          () => true,
          () => false,
        );
      };
      let stopped = false;
      if (timeout > 0) {
        await this.#signal(c, c.stopSignal);
        stopped = await gone(timeout * 1000);
      }
      if (!stopped) {
        await this.#signal(c, 'SIGKILL', true);
        if (!(await gone(STOP_KILL_WAIT_MS))) throw new ShimError('Internal', `container ${c.name} did not exit ${STOP_KILL_WAIT_MS / 1000} s after SIGKILL`);
      }
    }
    return this.cleanup(c.id, options.signal ? { signal: options.signal } : {});
  }

  /** Removes a container: refused while it runs unless `force` (then it is killed first). */
  async remove(ref: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<EngineContainer> {
    return this.#locked(async () => {
      const c = await this.records.find(ref);
      await this.#remove(c, options.force ?? false);
      return c;
    }, options.signal);
  }

  async logs(ref: string, sink: LogSink, options: Omit<ReadLogOptions, 'finished'> = {}): Promise<void> {
    const c = await this.records.find(ref);
    await readContainerLog(this.layout.log(c.id), sink, { ...options, finished: async () => (await this.records.view(c)).status !== 'running' });
  }

  /** Runs a command in a running container (with its process settings: env, user, cwd, capabilities). */
  async exec(ref: string, options: { cmd: string[]; tty: boolean; stdin: boolean; env?: readonly string[]; user?: string; workdir?: string; signal?: AbortSignal }): Promise<ExecProcess> {
    const c = await this.records.find(ref);
    if ((await this.records.view(c)).status !== 'running') throw new ShimError('FailedPrecondition', `container ${c.name} is not running`);
    if (options.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec: no command given');
    const template = await readExecTemplate(this.layout.bundle(c.id));
    if (template === undefined) throw new ShimError('Internal', `container ${c.name}: its bundle has no process to exec from`);
    const env = [...(template.env ?? []), ...(options.env ?? []), ...(options.tty ? ['TERM=xterm'] : [])];
    return startRuncExec(this.#runc, c.id, { ...template, env, ...(options.workdir ? { cwd: options.workdir } : {}), ...(options.user ? { user: parseNumericUser(options.user) } : {}) }, {
      cmd: options.cmd,
      tty: options.tty,
      stdin: options.stdin,
      stdout: true,
      stderr: !options.tty,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** Connects to a running container's streams through its conmon. */
  async attach(ref: string, streams: AttachStreams): Promise<{ container: EngineContainer; session: AttachSession }> {
    const c = await this.records.find(ref);
    if ((await this.records.view(c)).status !== 'running') throw new ShimError('FailedPrecondition', `container ${c.name} is not running`);
    return { container: c, session: await this.#attach(c, streams) };
  }

  async stats(ref: string): Promise<ContainerStats> {
    const c = await this.records.find(ref);
    if ((await this.records.view(c)).status !== 'running' || c.pid === undefined) throw new ShimError('FailedPrecondition', `container ${c.name} is not running`);
    const s = await readCgroupStats(c.pid);
    return {
      id: c.id,
      name: c.name,
      cpuNanos: Number(s.cpu?.usage?.total ?? 0),
      memoryBytes: Number(s.memory?.usage?.usage ?? 0),
      ...(s.memory?.usage?.limit !== undefined && s.memory.usage.limit < 2 ** 60 ? { memoryLimitBytes: Number(s.memory.usage.limit) } : {}),
      pids: Number(s.pids?.current ?? 0),
    };
  }

  async close(): Promise<void> {
    // the helper's process is unreferenced while idle: hold the loop open until it is gone
    const hold = setInterval(() => undefined, 1000);
    try {
      await this.#close();
    } finally {
      clearInterval(hold);
    }
  }

  async #close(): Promise<void> {
    await this.#store?.close();
    this.#store = undefined;
    await this.#network.close();
    await this.#conmon.close();
    await this.#runc.close();
    await this.#lease.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Runs `work` under the engine's lock with the image store closed again before the lock goes. */
  async #locked<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withEngineLock(
      this.layout.lockFile,
      async () => {
        try {
          return await work();
        } finally {
          const store = this.#store;
          this.#store = undefined;
          await store?.close();
        }
      },
      signal ? { signal } : {},
    );
  }

  async #openStore(): Promise<ImageStore> {
    this.#store ??= await ImageStore.open({ root: this.layout.imagesDir, helper: this.#lease.helper, ...(this.#options.registry ? { registry: this.#options.registry } : {}) }).catch((e: unknown) => {
      throw new ShimError(isImageStoreError(e, 'IN_USE') ? 'Unavailable' : 'Internal', `opening the image store in ${this.layout.imagesDir}: ${(e as Error).message}`, { cause: e });
    });
    return this.#store;
  }

  async #create(request: CreateContainerRequest): Promise<EngineContainer> {
    const { signal } = request;
    const name = request.name ?? containerName();
    if (!isValidName(name)) throw new ShimError('InvalidArgument', `container name ${JSON.stringify(name)} is not valid: use letters, digits, "_", "." and "-", starting with a letter or digit`);
    const existing = await this.records.list();
    if (existing.some((c) => c.name === name)) throw new ShimError('AlreadyExists', `the container name "${name}" is already in use; remove that container or pick another name`);
    const network = request.network ?? 'bridge';
    const ports = [...(request.ports ?? [])];
    if (ports.length > 0 && network !== 'bridge') throw new ShimError('InvalidArgument', `port mappings (-p) need the bridge network, not --network ${network}`);
    for (const v of request.volumes ?? []) {
      const found = await stat(v.source).catch(() => undefined);
      if (found === undefined) throw new ShimError('InvalidArgument', `volume host path ${v.source} does not exist`);
    }
    const store = await this.#openStore();
    let image = store.get(request.image);
    if (image === undefined) {
      const full = normalizeImage(request.image);
      request.onPull?.(full);
      try {
        image = await store.pull(full, { ...(signal ? { signal } : {}), ...(request.onPull ? { onProgress: (p: PullProgress) => request.onPull?.(full, p) } : {}) });
      } catch (e) {
        throw pullFailure(request.image, e);
      }
    }
    const id = newId();
    const bundle = this.layout.bundle(id);
    const undo: (() => Promise<unknown>)[] = [];
    try {
      const rootfs = await store.createRootfs(id, image.id, signal ? { signal } : {});
      undo.push(() => store.removeRootfs(id));
      let attached: { netnsPath: string; ips: string[] } | undefined;
      if (network === 'bridge') {
        attached = await this.#network.attach(id, name, ports, signal);
        const netnsPath = attached.netnsPath;
        undo.push(() => this.#network.detach(id, name, ports, netnsPath));
      }
      await mkdir(bundle, { recursive: true, mode: 0o700 });
      undo.push(() => rm(bundle, { recursive: true, force: true }));
      const hostname = id.slice(0, 12);
      const etcFiles = { ...(await writeEtcFiles(bundle, { hostname, network, ips: attached?.ips ?? [] })), ...(await userEntries(rootfs.path, bundle, request.user)) };
      const spec = await engineSpec({
        id,
        image: image.config,
        rootfs: rootfs.path,
        ...(request.entrypoint ? { entrypoint: request.entrypoint } : {}),
        ...(request.command ? { command: request.command } : {}),
        ...(request.env ? { env: request.env } : {}),
        ...(request.workdir ? { workdir: request.workdir } : {}),
        ...(request.user ? { user: request.user } : {}),
        tty: request.tty ?? false,
        readOnly: request.readOnly ?? false,
        ...(request.capAdd ? { capAdd: request.capAdd } : {}),
        ...(request.capDrop ? { capDrop: request.capDrop } : {}),
        ...(request.memoryBytes ? { memoryBytes: request.memoryBytes } : {}),
        ...(request.cpus ? { cpus: request.cpus } : {}),
        ...(request.volumes ? { volumes: request.volumes } : {}),
        network,
        ...(attached ? { netnsPath: attached.netnsPath } : {}),
        hostname,
        etcFiles,
        cgroupsPath: `${this.#options.cgroupParent ?? '/shimkit'}/${id}`,
      });
      writeBundle(bundle, spec, rootfs.path);
      const record: EngineContainer = {
        id,
        name,
        image: request.image,
        imageName: image.repoTags[0] ?? image.id,
        imageId: image.id,
        command: spec.process?.args ?? [],
        createdAt: new Date().toISOString(),
        tty: request.tty ?? false,
        interactive: request.interactive ?? false,
        autoRemove: request.autoRemove ?? false,
        network,
        ports,
        volumes: [...(request.volumes ?? [])],
        ips: attached?.ips ?? [],
        ...(attached ? { netnsPath: attached.netnsPath } : {}),
        stopSignal: image.config.config?.StopSignal ?? 'SIGTERM',
      };
      undo.push(() => this.records.remove(id));
      await this.records.write(record);
      return record;
    } catch (e) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      throw e;
    }
  }

  async #start(c: EngineContainer, options: { attach?: AttachStreams; exitCommand?: (id: string) => string[] }): Promise<{ container: EngineContainer; session?: AttachSession }> {
    const bundle = this.layout.bundle(c.id);
    if (!existsSync(join(bundle, 'config.json'))) throw new ShimError('FailedPrecondition', `container ${c.name} has no bundle in ${bundle} (the run dir was cleared?); remove it and run it again`);
    let record = c;
    if (c.network === 'bridge' && (c.netnsPath === undefined || !existsSync(c.netnsPath))) {
      // its network was released when it exited: attach it again
      const attached = await this.#network.attach(c.id, c.name, c.ports);
      record = { ...record, netnsPath: attached.netnsPath, ips: attached.ips };
    }
    await this.#conmon.removeExitFile(c.id);
    await rm(join(bundle, 'conmon'), { recursive: true, force: true });
    let created;
    try {
      created = await this.#conmon.create(c.id, {
        bundle,
        logPath: this.layout.log(c.id),
        terminal: c.tty,
        stdin: c.interactive,
        leaveStdinOpen: false,
        ...(options.exitCommand ? { exitCommand: options.exitCommand(c.id) } : {}),
      });
    } catch (e) {
      throw new ShimError('Internal', `starting container ${c.name}: ${(e as Error).message}`, { cause: e });
    }
    const { exitCode: _code, finishedAt: _finished, ...rest } = record;
    record = { ...rest, pid: created.pid, conmonPid: created.conmonPid };
    let session: AttachSession | undefined;
    try {
      if (options.attach) session = await this.#attach(record, options.attach);
      await this.#runc.start(c.id);
    } catch (e) {
      session?.detach();
      await this.#runc.delete(c.id, { force: true }).catch(() => undefined);
      throw new ShimError('Internal', `starting container ${c.name}: ${(e as Error).message}`, { cause: e });
    }
    record = { ...record, startedAt: new Date().toISOString() };
    await this.records.write(record);
    return { container: record, ...(session ? { session } : {}) };
  }

  async #attach(c: EngineContainer, streams: AttachStreams): Promise<AttachSession> {
    const wanted = [...(streams.stdout ? [ATTACH_STDOUT] : []), ...(streams.stderr ? [ATTACH_STDERR] : [])];
    let connection;
    try {
      connection = await connectSeqpacket(this.#lease.helper, join(this.layout.socketDir, c.id, 'attach'), wanted);
    } catch (e) {
      throw new ShimError('FailedPrecondition', `container ${c.name}: cannot attach: ${(e as Error).message}`, { cause: e });
    }
    if (!streams.stdin) connection.input.end();
    const bundle = this.layout.bundle(c.id);
    return {
      stdin: streams.stdin ? connection.input : null,
      stdout: connection.output.get(ATTACH_STDOUT) ?? null,
      stderr: connection.output.get(ATTACH_STDERR) ?? null,
      ended: connection.ended,
      detach: () => connection.close(),
      resize: (size) => void writeConmonControl(bundle, { type: CONMON_RESIZE, height: size.height, width: size.width }, `resize the terminal of ${c.name}`).catch(() => undefined),
    };
  }

  async #signal(c: EngineContainer, signal: string, all = false): Promise<void> {
    await this.#runc.kill(c.id, normalizeSignal(signal), { all }).catch(async (e: unknown) => {
      if (isRuncError(e, 'NOT_FOUND') || isRuncError(e, 'INVALID_STATE')) return;
      if (all) return this.#runc.kill(c.id, normalizeSignal(signal)).catch(() => undefined);
      throw new ShimError('Internal', `cannot signal container ${c.name}: ${(e as Error).message}`, { cause: e });
    });
  }

  /** An exited container: its exit recorded, the runtime's container deleted, its network detached. */
  async #cleanup(c: EngineContainer): Promise<EngineContainer> {
    const view = await this.records.view(c);
    if (view.status === 'running') return c;
    let record: EngineContainer = c;
    if (view.status === 'exited' && c.exitCode === undefined) record = { ...record, exitCode: view.exitCode ?? -1, finishedAt: view.finishedAt ?? new Date().toISOString() };
    if (c.pid !== undefined) await this.#runc.delete(c.id, { force: true }).catch(() => undefined);
    if (c.network === 'bridge' && c.netnsPath !== undefined) {
      await this.#network.detach(c.id, c.name, c.ports, c.netnsPath);
      const { netnsPath: _gone, ...rest } = record;
      record = { ...rest, ips: [] };
    }
    if (record !== c) await this.records.write(record);
    return record;
  }

  async #remove(c: EngineContainer, force: boolean): Promise<void> {
    const view = await this.records.view(c);
    if (view.status === 'running') {
      if (!force) throw new ShimError('FailedPrecondition', `container ${c.name} is running: stop it first or use --force`);
      await this.#signal(c, 'SIGKILL', true);
      await waitForExit(this.layout.exitDir, c.id, { ...(c.conmonPid === undefined ? {} : { conmonPid: c.conmonPid }), signal: AbortSignal.timeout(STOP_KILL_WAIT_MS), checkMs: 50 }).catch(() => undefined);
    }
    // the runtime's container, the network and the rootfs go at once: none needs the others
    if (view.status === 'running' && (await this.records.view(c)).status === 'running') throw new ShimError('Internal', `container ${c.name} did not exit after SIGKILL`);
    await Promise.all([this.#cleanup(c), this.#openStore().then((store) => store.removeRootfs(c.id))]);
    await Promise.all([rm(this.layout.bundle(c.id), { recursive: true, force: true }), this.#conmon.removeExitFile(c.id)]);
    await this.records.remove(c.id);
  }
}

/** A user's image name in its full form (`busybox` -> `docker.io/library/busybox:latest`). */
function normalizeImage(ref: string): string {
  try {
    return formatImageReference(parseImageReference(ref));
  } catch (e) {
    throw new ShimError('InvalidArgument', `invalid image name ${JSON.stringify(ref)}: ${(e as Error).message}`, { cause: e });
  }
}

function pullFailure(ref: string, e: unknown): ShimError {
  if (isShimError(e)) return e;
  const why = e instanceof Error ? e.message : String(e);
  if (isImageStoreError(e, 'NOT_FOUND') || isImageStoreError(e, 'REGISTRY_NOT_FOUND')) return new ShimError('NotFound', `${ref}: image not known (${why})`, { cause: e });
  return new ShimError('Unavailable', `pulling ${ref}: ${why}`, { cause: e });
}

function normalizeSignal(signal: string): KillSignal {
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) return s as KillSignal;
  return (s.startsWith('SIG') ? s : `SIG${s}`) as KillSignal;
}

/** `--user` of exec as numbers (names need the container's /etc/passwd; podman resolves them too, later). */
function parseNumericUser(user: string): { uid: number; gid: number } {
  const [u = '', g] = user.split(':');
  if (!/^\d+$/.test(u) || (g !== undefined && !/^\d+$/.test(g))) throw new ShimError('InvalidArgument', `exec --user ${JSON.stringify(user)}: only UID[:GID] numbers are supported`);
  return { uid: Number(u), gid: g === undefined ? Number(u) : Number(g) };
}
