import type { PodSandboxConfig } from '@shimkit/cri-types';
import type { Resources } from '@shimkit/oci-spec';
import { isShimError, ShimError } from '../../errors.js';
import type { OperationOptions } from '../../interfaces/operation-options.js';
import type {
  AttachOptions,
  AttachSession,
  ContainerExit,
  ContainerRuntimeState,
  ContainerUsage,
  CreateContainerOptions,
  ExecOptions,
  ExecProcess,
  ExecSyncOptions,
  ExecSyncResult,
  RunSandboxOptions,
  RuntimeBackend,
  RuntimeBackendInfo,
  SandboxInfo,
  StopContainerOptions,
} from '../../interfaces/runtime-backend.js';

/** One backend behind the router, with the runtime handler a sandbox of it was started with. */
interface Route {
  backend: RuntimeBackend;
  handler: string;
}

/**
 * A {@link RuntimeBackend} over several backends, one shim serving them side by side: a pod goes
 * to the backend whose `info().handlers` lists its runtime handler (the first one that does), and a
 * container to its pod's backend. Which backend holds a sandbox or container is kept in memory; after
 * a restart it is found again by asking each backend (`sandboxState`, `containerState` answer
 * `NotFound` for ids that are not theirs). Status lists every backend's handlers; the runtime is
 * ready when all of them are.
 */
export class HandlerRoutingBackend implements RuntimeBackend, AsyncDisposable {
  readonly #backends: readonly RuntimeBackend[];
  readonly #sandboxes = new Map<string, Route>();
  readonly #containers = new Map<string, Route>();
  #handlers: Promise<Map<string, RuntimeBackend>> | undefined;
  /** The settled handler map, for the synchronous {@link sandboxNeedsNetns}. */
  #known: Map<string, RuntimeBackend> | undefined;

  /** `backends`: the default one (whose name and version Version reports) first. */
  constructor(backends: readonly RuntimeBackend[]) {
    if (backends.length === 0) throw new ShimError('InvalidArgument', 'HandlerRoutingBackend needs at least one backend');
    this.#backends = [...backends];
  }

  /**
   * Asks the backend of the pod's handler (known from its info once any call has asked for it);
   * before that, or without a handler, true when any backend needs the netns first.
   */
  sandboxNeedsNetns(config: PodSandboxConfig, runtimeHandler?: string): boolean {
    const backend = runtimeHandler === undefined ? undefined : this.#known?.get(runtimeHandler);
    if (backend !== undefined) return backend.sandboxNeedsNetns?.(config, runtimeHandler) ?? true;
    return this.#backends.some((b) => b.sandboxNeedsNetns?.(config, runtimeHandler) ?? true);
  }

  async runSandbox(options: RunSandboxOptions): Promise<SandboxInfo> {
    const backend = (await this.#handlerMap(options)).get(options.runtimeHandler);
    if (backend === undefined) throw new ShimError('InvalidArgument', `runtime handler "${options.runtimeHandler}" is not configured`);
    const info = await backend.runSandbox(options);
    this.#sandboxes.set(options.id, { backend, handler: options.runtimeHandler });
    return info;
  }

  async stopSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    const route = await this.#sandbox(id, options);
    await this.#onRouteOrAll(route, (b) => b.stopSandbox(id, options));
  }

  async removeSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    const route = await this.#sandbox(id, options);
    await this.#onRouteOrAll(route, (b) => b.removeSandbox(id, options));
    this.#sandboxes.delete(id);
  }

  async sandboxState(id: string, options: OperationOptions = {}): Promise<'ready' | 'notready'> {
    const route = await this.#sandbox(id, options);
    if (route === undefined) throw new ShimError('NotFound', `pod sandbox "${id}" not found in any runtime backend`);
    return route.backend.sandboxState(id, options);
  }

  async createContainer(options: CreateContainerOptions): Promise<void> {
    const route = await this.#sandbox(options.sandboxId, options);
    if (route === undefined) throw new ShimError('NotFound', `pod sandbox "${options.sandboxId}" not found in any runtime backend`);
    await route.backend.createContainer(options);
    this.#containers.set(options.id, route);
  }

  async startContainer(id: string, options: OperationOptions = {}): Promise<{ startedAt: Date; pid?: number }> {
    return (await this.#container(id, options)).backend.startContainer(id, options);
  }

  async stopContainer(id: string, options: StopContainerOptions): Promise<void> {
    return (await this.#container(id, options)).backend.stopContainer(id, options);
  }

  async removeContainer(id: string, options: OperationOptions = {}): Promise<void> {
    const route = await this.#find(this.#containers, id, (b) => b.containerState(id, options), options);
    await this.#onRouteOrAll(route, (b) => b.removeContainer(id, options));
    this.#containers.delete(id);
  }

  async containerState(id: string, options: OperationOptions = {}): Promise<ContainerRuntimeState> {
    return (await this.#container(id, options)).backend.containerState(id, options);
  }

  async execSync(id: string, options: ExecSyncOptions): Promise<ExecSyncResult> {
    return (await this.#container(id, options)).backend.execSync(id, options);
  }

  async exec(id: string, options: ExecOptions): Promise<ExecProcess> {
    const { backend, handler } = await this.#container(id, options);
    if (!backend.exec) throw new ShimError('Unimplemented', `runtime handler "${handler}" cannot exec with streams`);
    return backend.exec(id, options);
  }

  async attach(id: string, options: AttachOptions): Promise<AttachSession> {
    const { backend, handler } = await this.#container(id, options);
    if (!backend.attach) throw new ShimError('Unimplemented', `runtime handler "${handler}" cannot attach to a container`);
    return backend.attach(id, options);
  }

  async updateResources(id: string, resources: Resources, options: OperationOptions = {}): Promise<void> {
    return (await this.#container(id, options)).backend.updateResources(id, resources, options);
  }

  async stats(id: string, options: OperationOptions = {}): Promise<ContainerUsage> {
    return (await this.#container(id, options)).backend.stats(id, options);
  }

  async reopenContainerLog(id: string, options: OperationOptions = {}): Promise<void> {
    const { backend, handler } = await this.#container(id, options);
    if (!backend.reopenContainerLog) throw new ShimError('Unimplemented', `runtime handler "${handler}" cannot reopen container logs`);
    return backend.reopenContainerLog(id, options);
  }

  onExit(listener: (exit: ContainerExit) => void): () => void {
    const unsubscribe = this.#backends.map((b) => b.onExit(listener));
    return () => unsubscribe.forEach((u) => u());
  }

  async info(options: OperationOptions = {}): Promise<RuntimeBackendInfo> {
    const infos = await Promise.all(this.#backends.map((b) => b.info(options)));
    this.#known ??= handlerMap(this.#backends, infos);
    const first = infos[0]!;
    const seen = new Set<string>();
    const handlers = infos.flatMap((i) => i.handlers).filter((h) => !seen.has(h.name) && seen.add(h.name));
    const notReady = infos.filter((i) => !i.ready);
    if (notReady.length === 0) return { ...first, handlers, ready: true };
    return {
      ...first,
      handlers,
      ready: false,
      reason: notReady[0]!.reason ?? 'RuntimeNotReady',
      message: notReady.map((i) => `${i.name}: ${i.message ?? i.reason ?? 'not ready'}`).join('; '),
    };
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.#backends.map((b) => b.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Handler name -> backend, from the backends' info (the first that lists a name gets it); asked once. */
  #handlerMap(options: OperationOptions): Promise<Map<string, RuntimeBackend>> {
    this.#handlers ??= (async () => {
      const infos = await Promise.all(this.#backends.map((b) => b.info(options)));
      return (this.#known = handlerMap(this.#backends, infos));
    })();
    this.#handlers.catch(() => (this.#handlers = undefined));
    return this.#handlers;
  }

  async #handlerOf(backend: RuntimeBackend, options: OperationOptions): Promise<string> {
    for (const [name, b] of await this.#handlerMap(options)) if (b === backend) return name;
    return '';
  }

  #sandbox(id: string, options: OperationOptions): Promise<Route | undefined> {
    return this.#find(this.#sandboxes, id, (b) => b.sandboxState(id, options), options);
  }

  async #container(id: string, options: OperationOptions): Promise<Route> {
    const route = await this.#find(this.#containers, id, (b) => b.containerState(id, options), options);
    if (route === undefined) throw new ShimError('NotFound', `container "${id}" not found in any runtime backend`);
    return route;
  }

  /**
   * An idempotent cleanup: on the route's backend, or, when no backend owned up to the id (a
   * backend may still hold what its runtime lost, and answer NotFound for its state), on every one.
   */
  async #onRouteOrAll(route: Route | undefined, call: (b: RuntimeBackend) => Promise<void>): Promise<void> {
    if (route !== undefined) return call(route.backend);
    for (const backend of this.#backends) await call(backend);
  }

  /** The route kept for `id`, or the first backend whose `probe` does not answer NotFound (remembered). */
  async #find(routes: Map<string, Route>, id: string, probe: (b: RuntimeBackend) => Promise<unknown>, options: OperationOptions): Promise<Route | undefined> {
    const known = routes.get(id);
    if (known !== undefined) return known;
    for (const backend of this.#backends) {
      try {
        await probe(backend);
      } catch (e) {
        if (isShimError(e, 'NotFound')) continue;
        throw e;
      }
      const route = { backend, handler: await this.#handlerOf(backend, options) };
      routes.set(id, route);
      return route;
    }
    return undefined;
  }
}

/** Handler name -> the first backend whose info lists it. */
function handlerMap(backends: readonly RuntimeBackend[], infos: readonly RuntimeBackendInfo[]): Map<string, RuntimeBackend> {
  const map = new Map<string, RuntimeBackend>();
  infos.forEach((info, i) => {
    for (const h of info.handlers) if (!map.has(h.name)) map.set(h.name, backends[i]!);
  });
  return map;
}
