import { mkdir } from 'node:fs/promises';
import { addCriServices, createCriServer, ImageServiceDefinition, listenInherited, listenUnix, parseEndpoint, RuntimeServiceDefinition, type UnixListener } from '@shimkit/cri-types';
import { oomScoreLimits } from '@shimkit/runc-driver';
import { globalContainer, type DependencyContainer } from '../di.js';
import { ShimError } from '../errors.js';
import { EXEC_SYNC_MAX_OUTPUT_BYTES } from '../interfaces/runtime-backend.js';
import { imageHandlers, runtimeHandlers } from '../handlers/index.js';
import type { MetricsServer } from '../observe/metrics-server.js';
import { observeHandlers } from '../observe/observed-handlers.js';
import type { OtelTracingOptions } from '../observe/otel-tracer.js';
import type { MetricsOptions } from '../observe/prometheus-metrics.js';
import { backendAttachRunner } from '../streaming/attach-runner.js';
import { backendExecRunner } from '../streaming/backend-exec-runner.js';
import { netnsPortForwarder } from '../streaming/port-forwarder.js';
import { StreamingServer } from '../streaming/streaming-server.js';
import { Tokens, type Token } from '../tokens.js';
import { ExitMonitor } from './exit-monitor.js';
import { IdleCompaction, withActivity } from './idle-compaction.js';
import { defaultModules, type DefaultModulesOptions } from './default-modules.js';
import { coreModule, diskStoresModule, provide, type ShimModule } from './modules.js';
import { reconcileContainers, reconcileSandboxes } from './reconcile.js';
import type { ShimConfig } from './shim-config.js';
import { ShimServices } from './shim-services.js';

/** Options of {@link createShim}. */
export interface CreateShimOptions {
  /** Unix socket to serve CRI on (a path or `unix://` endpoint). */
  socket: string;
  /**
   * Serve on this inherited listening socket instead of binding `socket` (systemd socket
   * activation passes fd 3; `socket` then names its path). The socket file is left to its owner.
   */
  listenFd?: number;
  /** Persistent directory: sandbox and container metadata (and, for the default modules, images). */
  root: string;
  /** Volatile directory: runtime state such as exit files. */
  state: string;
  /**
   * Modules registering parts; later ones override earlier ones, token by token. Applied after
   * the defaults: runc + conmon, image-store images, CNI networking (see `defaults`) and
   * stores on disk under `root`. `fakeModules()` from `shimkit/testing` swaps in the fakes.
   */
  modules?: ShimModule[];
  /**
   * Options of the default modules (runtime binary, CNI dirs, registry config, pause image);
   * `false`: no defaults, `modules` must register RuntimeBackend, ImageBackend and PodNetwork.
   */
  defaults?: DefaultModulesOptions | false;
  runtimeName?: string;
  runtimeVersion?: string;
  /** Default: true unless this process has CAP_SYS_RESOURCE. */
  restrictOomScoreAdj?: boolean;
  /**
   * Where the streaming server for Exec, Attach and PortForward listens: host default `127.0.0.1`,
   * port default 0 (a free one). `false`: no streaming server, those RPCs answer Unimplemented.
   */
  streaming?: { host?: string; port?: number } | false;
  /** Responses per message of the Stream* RPCs (default 500). */
  streamChunkSize?: number;
  /**
   * Prometheus metrics (`shimkit_*`, prom-client, loaded only then), served at `GET /metrics` on
   * `address` (`host:port` or a unix socket path) when given; `shim.get(Tokens.Metrics)` reads them too.
   */
  metrics?: MetricsOptions;
  /** OpenTelemetry tracing to an OTLP gRPC collector (loaded only then): a span per CRI call, child spans per runtime, CNI and pull operation. */
  tracing?: OtelTracingOptions;
  /**
   * Gives memory back once the shim has had no call but reads for `idleMs` (default 12 s) after
   * its start or a busy period: full V8 collections and glibc's malloc_trim (see IdleCompaction).
   * `false`: leave it to V8 and glibc.
   */
  idleCompaction?: { idleMs?: number } | false;
  signal?: AbortSignal;
}

/** A running shim. */
export interface Shim extends AsyncDisposable {
  /** The socket path it serves on. */
  readonly socket: string;
  /** Where `GET /metrics` is served (`host:port` with the real port, or a socket path), when `metrics.address` was given. */
  readonly metricsAddress?: string;
  /** The shim's own DI container (a child container; nothing is registered globally). */
  readonly container: DependencyContainer;
  readonly services: ShimServices;
  /** The part registered under a token, typed (`shim.get(Tokens.Clock)`). */
  get<T>(token: Token<T>): T;
  /**
   * Stops serving (calls in flight get `timeoutMs` to finish), stops watching exits, waits for
   * state writes and closes every part. Containers keep running. Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const REQUIRED = [
  ['RuntimeBackend', Tokens.RuntimeBackend],
  ['ImageBackend', Tokens.ImageBackend],
  ['PodNetwork', Tokens.PodNetwork],
] as const;

/**
 * Builds the shim's container: core parts, disk stores, config, the default modules (unless
 * `defaults` is false), then the caller's modules. Every part is constructed on first use, so
 * a default that a module replaces is never built.
 */
export function composeShimContainer(config: ShimConfig, modules: readonly ShimModule[], defaults: DefaultModulesOptions | false = {}): DependencyContainer {
  const container = globalContainer.createChildContainer();
  coreModule()(container);
  diskStoresModule(config.root)(container);
  provide(Tokens.ShimConfig, config)(container);
  if (defaults !== false) for (const module of defaultModules(defaults)) module(container);
  for (const module of modules) module(container);
  const missing = REQUIRED.filter(([, token]) => !container.isRegistered(token)).map(([name]) => name);
  if (missing.length > 0) {
    throw new ShimError('MissingModule', `no module registers ${missing.join(', ')}; pass one in modules or leave the defaults on`);
  }
  return container;
}

const HELPER_CLOSE_TIMEOUT_MS = 10_000;

async function closeParts(services: ShimServices, container: DependencyContainer): Promise<void> {
  await Promise.allSettled([services.sandboxes.close(), services.containers.close()]);
  const parts = [services.runtime, services.images, services.network];
  const results = await Promise.allSettled([...parts.map((p) => p.close()), services.tracer.close(), services.metrics.close()]);
  for (const r of results) if (r.status === 'rejected') services.logger.warn('closing a shim part failed', { error: String(r.reason) });
  // last: the parts used it until now (closing one that never started does nothing); an exec
  // whose program ignores the hang-up must not hold the shim's close for ever
  await container.resolve(Tokens.HostHelper).close({ timeoutMs: HELPER_CLOSE_TIMEOUT_MS });
}

/**
 * Starts the streaming server (unless `streaming` is false) and registers it as the shim's
 * streaming endpoint, before anything resolves the handlers' services.
 */
async function startStreaming(container: DependencyContainer, options: CreateShimOptions): Promise<StreamingServer | undefined> {
  if (options.streaming === false) return undefined;
  const runtime = container.resolve(Tokens.RuntimeBackend);
  const server = await StreamingServer.start({
    exec: backendExecRunner(runtime),
    attach: backendAttachRunner(runtime),
    portForward: netnsPortForwarder(container.resolve(Tokens.HostHelper)),
    ...(options.streaming?.host === undefined ? {} : { host: options.streaming.host }),
    ...(options.streaming?.port === undefined ? {} : { port: options.streaming.port }),
  }, options.signal);
  provide(Tokens.Streaming, server)(container);
  return server;
}

/**
 * Composes a shim from the default modules and the caller's, reloads its state, reconciles
 * it with the runtime and serves CRI on a unix socket.
 *
 * ```ts
 * await using shim = await createShim({ socket, root, state }); // runc + conmon, image-store, CNI
 * await using fake = await createShim({ socket, root, state, modules: [...fakeModules(), provide(Tokens.Clock, clock)] });
 * ```
 */
export async function createShim(options: CreateShimOptions): Promise<Shim> {
  const oomLimits = oomScoreLimits();
  const config: ShimConfig = {
    socket: options.socket,
    root: options.root,
    state: options.state,
    runtimeName: options.runtimeName ?? 'shimkit',
    runtimeVersion: options.runtimeVersion ?? '0.1.0',
    restrictOomScoreAdj: options.restrictOomScoreAdj ?? !oomLimits.canLower,
    ownOomScoreAdj: oomLimits.current,
    execSyncMaxOutputBytes: EXEC_SYNC_MAX_OUTPUT_BYTES,
    streamChunkSize: options.streamChunkSize ?? 500,
  };
  // before the caller's modules, which may replace them; loaded only when asked for (as are node:http and the libraries)
  const observability = [
    ...(options.metrics === undefined ? [] : [await (await import('../observe/prometheus-metrics.js')).prometheusMetricsModule(options.metrics)]),
    ...(options.tracing === undefined ? [] : [await (await import('../observe/otel-tracer.js')).otelTracingModule(options.tracing)]),
  ];
  const container = composeShimContainer(config, [...observability, ...(options.modules ?? [])], options.defaults ?? {});
  // a streaming server that cannot listen leaves no part open (the runtime backend is made for it)
  const streaming = await startStreaming(container, options).catch(async (e: unknown) => {
    await closeParts(container.resolve(ShimServices), container);
    throw e;
  });
  const services = container.resolve(ShimServices);
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const monitor = new ExitMonitor(services);
  const compaction = options.idleCompaction === false ? undefined : new IdleCompaction({ ...options.idleCompaction, logger: services.logger });
  const tracked = <H extends object>(handlers: H): H => (compaction ? withActivity(handlers, compaction) : handlers);
  let listener: UnixListener;
  let metricsServer: MetricsServer | undefined;
  try {
    await mkdir(config.root, { recursive: true });
    await mkdir(config.state, { recursive: true });
    await services.sandboxes.load(signalOption);
    await services.containers.load(signalOption);
    monitor.start();
    await reconcileSandboxes(services, options.signal);
    await reconcileContainers(services, options.signal);
    const server = createCriServer();
    const onError = (error: unknown, rpc: string): void => services.logger.error('handler failed', { rpc, error: String(error) });
    // each call with its request id, span and metrics, and counted as activity by the idle compaction
    const handlers = {
      runtime: tracked(observeHandlers(services, { definition: RuntimeServiceDefinition, handlers: runtimeHandlers(services) })),
      image: tracked(observeHandlers(services, { definition: ImageServiceDefinition, handlers: imageHandlers(services) })),
    };
    addCriServices(server, handlers, { onError });
    if (options.metrics?.address !== undefined) metricsServer = await (await import('../observe/metrics-server.js')).startMetricsServer(options.metrics.address, services.metrics);
    listener = options.listenFd === undefined ? await listenUnix(server, config.socket, signalOption) : await listenInherited(server, options.listenFd, { path: parseEndpoint(config.socket).path });
  } catch (e) {
    // Release what the parts hold (the image store's lock, watchers) so a retry can start.
    await metricsServer?.close();
    await monitor.close();
    await streaming?.close();
    await closeParts(services, container);
    throw e;
  }
  services.logger.info('shim listening', { socket: listener.path });
  compaction?.begin()(); // the start-up (modules, state, reconcile) was a busy period too

  let closing: Promise<void> | undefined;
  const close = (closeOptions: { timeoutMs?: number } = {}): Promise<void> =>
    (closing ??= (async () => {
      await listener.shutdown(closeOptions.timeoutMs);
      await metricsServer?.close();
      await compaction?.close();
      await streaming?.close();
      await monitor.close();
      await closeParts(services, container);
    })());
  const get = <T>(token: Token<T>): T => container.resolve<T>(token);
  const metricsAddress = metricsServer === undefined ? {} : { metricsAddress: metricsServer.address };
  return { socket: listener.path, ...metricsAddress, container, services, get, close, [Symbol.asyncDispose]: () => close() };
}
