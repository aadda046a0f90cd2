import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import { ImageStore, isImageStoreError, type GcResult, type ImageRecord, type PullProgress, type RegistryClientOptions } from '@shimkit/image-store';
import { Conmon, Runc } from '@shimkit/runc-driver';
import { ShimError } from '../errors.js';
import type { AttachSession, ExecProcess } from '../interfaces/runtime-backend.js';
import { attachContainer, type AttachStreams } from './attach-container.js';
import { cleanupContainer } from './cleanup-container.js';
import { containerStats, type ContainerStats } from './container-stats.js';
import { readContainerLog, type LogSink, type ReadLogOptions } from './container-logs.js';
import { ContainerRecords } from './container-records.js';
import { createContainer, type CreateContainerRequest } from './create-container.js';
import type { ContainerView, EngineContainer } from './engine-container.js';
import { normalizeImage, pullFailure } from './engine-image-ref.js';
import { DEFAULT_ENGINE_ROOT, DEFAULT_ENGINE_RUNROOT, EngineLayout } from './engine-layout.js';
import { withEngineLock } from './engine-lock.js';
import { EngineNetwork } from './engine-network.js';
import { findRunning, notRunning, waitForContainerExit, type EngineParts } from './engine-parts.js';
import { execInContainer, type ExecInContainerOptions } from './exec-in-container.js';
import { markPhase } from './phase-marks.js';
import { removeContainer } from './remove-container.js';
import { runAndRemoveContainer, type ForegroundRun, type RunAndRemoveOptions } from './run-and-remove.js';
import { signalContainer } from './signal-container.js';
import { startContainer, type StartContainerOptions } from './start-container.js';
import { stopContainer } from './stop-container.js';

export type { AttachStreams } from './attach-container.js';
export type { ContainerStats } from './container-stats.js';
export type { CreateContainerRequest } from './create-container.js';
export type { ForegroundRun, RunAndRemoveOptions } from './run-and-remove.js';

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
  /** Registry settings for pulls (hosts, credentials), or what reads them when the image store first opens. */
  registry?: RegistryClientOptions | (() => Promise<RegistryClientOptions>);
  /** The host helper (shared, not closed here); default one of its own. */
  helper?: HostHelper;
}

/**
 * A daemonless container engine (podman's model) over shimkit's parts: images from an
 * ImageStore, containers run by conmon + runc (they outlive the process that started them),
 * the bridge network through the shim's CNI code, state in files under a root and a run dir,
 * changed under a lock file so concurrent processes are safe. Every instance on the same dirs
 * sees the same containers. Each operation lives in its own file; this class holds the parts
 * and decides which operations run under the lock.
 */
export class ContainerEngine implements AsyncDisposable {
  readonly layout: EngineLayout;
  readonly records: ContainerRecords;
  readonly #options: ContainerEngineOptions;
  readonly #lease: HelperLease;
  readonly #runc: Runc;
  readonly #conmon: Conmon;
  readonly #network: EngineNetwork;
  readonly #parts: EngineParts;
  #store: ImageStore | undefined;

  constructor(options: ContainerEngineOptions = {}) {
    this.#options = options;
    this.layout = new EngineLayout(options.root ?? DEFAULT_ENGINE_ROOT, options.runroot ?? DEFAULT_ENGINE_RUNROOT);
    this.records = new ContainerRecords(this.layout);
    this.#lease = leaseHelper(options.helper);
    this.#runc = new Runc({ binary: options.runtime ?? 'runc', root: this.layout.runcRoot, helper: this.#lease.helper });
    this.#conmon = new Conmon({ runc: this.#runc, exitDir: this.layout.exitDir, socketDir: this.layout.socketDir, logLevel: 'error', ...(options.conmon ? { binary: options.conmon } : {}) });
    this.#network = new EngineNetwork(this.layout, { helper: this.#lease.helper, ...(options.cniBinDirs ? { binDirs: options.cniBinDirs } : {}) });
    this.#parts = {
      layout: this.layout,
      records: this.records,
      runc: this.#runc,
      conmon: this.#conmon,
      network: this.#network,
      helper: this.#lease.helper,
      cgroupParent: options.cgroupParent ?? '/shimkit',
      openStore: () => this.#openStore(),
    };
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
      for (const c of users) await removeContainer(this.#parts, c, { force: true });
      await store.remove(ref);
      // Another process sharing the store may be pulling: its next gc (or ours) frees the layers then.
      if (store.get(image.id) === undefined) await store.gc().catch((e: unknown) => {
        if (!isImageStoreError(e, 'IN_USE')) throw e;
      });
      return image;
    }, options.signal);
  }

  /**
   * Removes the images with no name (a build's intermediate images, its layer cache, as
   * `buildah rmi --prune` does) and whatever no image or container uses then.
   */
  async pruneImages(options: { signal?: AbortSignal } = {}): Promise<{ removedImages: number } & GcResult> {
    return this.#locked(async () => {
      const store = await this.#openStore();
      const before = store.list().length;
      const collected = await store.gc({ pruneUnnamed: true, ...(options.signal ? { signal: options.signal } : {}) });
      return { removedImages: before - store.list().length, ...collected };
    }, options.signal);
  }

  // ---- containers --------------------------------------------------------------------------

  /** Creates a container (pulling its image if missing): rootfs, network, bundle, record. Nothing is left behind when it fails. */
  async create(request: CreateContainerRequest): Promise<EngineContainer> {
    return this.#locked(() => createContainer(this.#parts, request), request.signal);
  }

  /**
   * Creates and starts a container in one step (one lock, one store opening): see
   * {@link create} and {@link start}.
   */
  async run(request: CreateContainerRequest, options: StartContainerOptions = {}): Promise<{ container: EngineContainer; session?: AttachSession }> {
    return this.#locked(async () => {
      const created = await createContainer(this.#parts, request);
      try {
        return await startContainer(this.#parts, created, options);
      } catch (e) {
        await removeContainer(this.#parts, created, { force: true }).catch(() => undefined);
        throw e;
      }
    }, request.signal);
  }

  /**
   * `run --rm` in the foreground: creates the container and runs it to its end as this
   * process's child, without conmon, then removes it. Resolves once it was created; see
   * {@link ForegroundRun}.
   */
  async runAndRemove(request: CreateContainerRequest, options: RunAndRemoveOptions): Promise<ForegroundRun> {
    // its rootfs is removed when this process ends it: no fsync of the rootfs record
    const created = await this.#locked(() => createContainer(this.#parts, request, { durable: false }), request.signal);
    return runAndRemoveContainer(this.#parts, created, options, (c) => this.#locked(() => removeContainer(this.#parts, c, { force: true })));
  }

  /**
   * Starts a created or exited container under a new conmon; with `attach`, connects to its
   * streams before it runs, so no output is missed.
   */
  async start(ref: string, options: StartContainerOptions & { signal?: AbortSignal } = {}): Promise<{ container: EngineContainer; session?: AttachSession }> {
    return this.#locked(async () => {
      const c = await this.records.find(ref);
      const view = await this.records.view(c);
      if (view.status === 'running') return { container: c };
      return startContainer(this.#parts, await cleanupContainer(this.#parts, c), options);
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
      const exit = await waitForContainerExit(this.#parts, c, options.signal ? { signal: options.signal } : {});
      exitCode = exit?.exitCode;
    }
    return exitCode ?? -1;
  }

  /** After an exit: records it, deletes the runtime's container and detaches the network (idempotent). */
  async cleanup(ref: string, options: { signal?: AbortSignal } = {}): Promise<EngineContainer> {
    return this.#locked(async () => cleanupContainer(this.#parts, await this.records.find(ref)), options.signal);
  }

  /** Sends a signal to the container's process. */
  async kill(ref: string, signal: string = 'SIGKILL'): Promise<EngineContainer> {
    const c = await findRunning(this.#parts, ref);
    await signalContainer(this.#parts, c, { signal });
    return c;
  }

  /** Stops a running container: its stop signal, then SIGKILL after `timeoutSeconds` (default 10). */
  async stop(ref: string, options: { timeoutSeconds?: number; signal?: AbortSignal } = {}): Promise<EngineContainer> {
    const c = await this.records.find(ref);
    if ((await this.records.view(c)).status === 'running') await stopContainer(this.#parts, c, options);
    return this.cleanup(c.id, options.signal ? { signal: options.signal } : {});
  }

  /** Removes a container: refused while it runs unless `force` (then it is killed first). */
  async remove(ref: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<EngineContainer> {
    return this.#locked(async () => {
      const c = await this.records.find(ref);
      await removeContainer(this.#parts, c, { force: options.force ?? false });
      return c;
    }, options.signal);
  }

  async logs(ref: string, sink: LogSink, options: Omit<ReadLogOptions, 'finished'> = {}): Promise<void> {
    const c = await this.records.find(ref);
    await readContainerLog(this.layout.log(c.id), sink, { ...options, finished: async () => (await this.records.view(c)).status !== 'running' });
  }

  /** Runs a command in a running container (with its process settings: env, user, cwd, capabilities). */
  async exec(ref: string, options: ExecInContainerOptions): Promise<ExecProcess> {
    return execInContainer(this.#parts, await findRunning(this.#parts, ref), options);
  }

  /** Connects to a running container's streams through its conmon. */
  async attach(ref: string, streams: AttachStreams): Promise<{ container: EngineContainer; session: AttachSession }> {
    const c = await findRunning(this.#parts, ref);
    return { container: c, session: await attachContainer(this.#parts, c, streams) };
  }

  async stats(ref: string): Promise<ContainerStats> {
    const c = await this.records.find(ref);
    if ((await this.records.view(c)).status !== 'running' || c.pid === undefined) throw notRunning(c);
    return containerStats(c, c.pid);
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
    markPhase('engine closed');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs `work` under the engine's lock with the image store closed again before the lock goes. */
  async #locked<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withEngineLock(
      this.layout.lockFile,
      async () => {
        markPhase('lock taken');
        try {
          return await work();
        } finally {
          const store = this.#store;
          this.#store = undefined;
          await store?.close();
          markPhase('image store closed');
        }
      },
      signal ? { signal } : {},
    );
  }

  async #openStore(): Promise<ImageStore> {
    const { registry } = this.#options;
    const options = typeof registry === 'function' ? await registry() : registry;
    this.#store ??= await ImageStore.open({ root: this.layout.imagesDir, helper: this.#lease.helper, ...(options ? { registry: options } : {}) }).catch((e: unknown) => {
      throw new ShimError(isImageStoreError(e, 'IN_USE') ? 'Unavailable' : 'Internal', `opening the image store in ${this.layout.imagesDir}: ${(e as Error).message}`, { cause: e });
    });
    return this.#store;
  }
}
