import { Client, credentials, type ChannelOptions } from '@grpc/grpc-js';
import type { CriCallOptions } from './call-options.js';
import { serverStreamCall, unaryCall, type CallContext, type Rpc } from './client-calls.js';
import { CriError } from './cri-error.js';
import { parseEndpoint, type UnixEndpoint } from './endpoint.js';
import { ImageServiceDefinition, RuntimeServiceDefinition, type DeepPartial } from './gen/runtime/v1/api.js';
import { messageLimitOptions } from './message-limits.js';
import type { MethodDefinition, RequestOf, ResponseOf, ServiceDefinition } from './service-types.js';
import { probeSocket } from './socket-probe.js';

/** A client method: a promise for unary RPCs, an async iterable for server-streaming ones. */
export type CriClientMethod<M> = M extends { responseStream: true }
  ? (request?: DeepPartial<RequestOf<M>>, options?: CriCallOptions) => AsyncIterable<ResponseOf<M>>
  : (request?: DeepPartial<RequestOf<M>>, options?: CriCallOptions) => Promise<ResponseOf<M>>;

/** One method per RPC of a service, keyed in lower camel case (`runPodSandbox`). */
export type CriServiceClient<D extends ServiceDefinition> = {
  readonly [K in keyof D['methods']]: CriClientMethod<D['methods'][K]>;
};

/** Typed methods of `runtime.v1.RuntimeService`. */
export type CriRuntimeClient = CriServiceClient<RuntimeServiceDefinition>;

/** Typed methods of `runtime.v1.ImageService`. */
export type CriImageClient = CriServiceClient<ImageServiceDefinition>;

/** Options of `connect`. */
export interface ConnectOptions {
  /** Aborts the connection check. */
  signal?: AbortSignal;
  /** Deadline for unary calls that set neither `timeoutMs` nor `deadline` (none by default; never applied to streams). */
  defaultTimeoutMs?: number;
  /** Largest request sent; kubelet's 16 MiB by default. */
  maxSendMessageBytes?: number;
  /** Largest response accepted; kubelet's 16 MiB by default. */
  maxReceiveMessageBytes?: number;
  /** How long the socket check may wait for the server to accept (5 s by default). */
  probeTimeoutMs?: number;
  /** Extra grpc-js channel options. */
  channelOptions?: ChannelOptions;
}

/** A connection to a CRI runtime over a unix socket. Close it when done. */
export interface CriClient extends AsyncDisposable {
  readonly endpoint: UnixEndpoint;
  /** `runtime.v1.RuntimeService`: sandboxes, containers, exec, stats, status. */
  readonly runtime: CriRuntimeClient;
  /** `runtime.v1.ImageService`: pull, list, inspect, remove images. */
  readonly image: CriImageClient;
  /** Closes the channel: calls in flight are cancelled (code `Cancelled`), later calls fail with `FailedPrecondition`. */
  close(): Promise<void>;
}

function serviceClient<D extends ServiceDefinition>(ctx: CallContext, definition: D): CriServiceClient<D> {
  const methods: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition.methods) as [string, MethodDefinition][]) {
    const rpc: Rpc<unknown, unknown> = {
      path: `/${definition.fullName}/${method.name}`,
      label: `${definition.name}.${method.name}`,
      method,
    };
    methods[key] = method.responseStream
      ? (request?: DeepPartial<unknown>, options?: CriCallOptions) => serverStreamCall(ctx, rpc, request, options)
      : (request?: DeepPartial<unknown>, options?: CriCallOptions) => unaryCall(ctx, rpc, request, options);
  }
  return Object.freeze(methods) as CriServiceClient<D>;
}

/** Turns what `probeSocket` found into an error naming the path, or nothing when the socket is live. */
async function checkSocket(endpoint: UnixEndpoint, options: ConnectOptions): Promise<void> {
  const { path } = endpoint;
  const found = await probeSocket(path, { signal: options.signal, timeoutMs: options.probeTimeoutMs });
  switch (found.state) {
    case 'live':
      return;
    case 'missing':
      throw new CriError('SocketNotFound', `cannot connect to CRI runtime: no socket at ${path} (is the runtime running?)`);
    case 'not-socket':
      throw new CriError('NotASocket', `cannot connect to CRI runtime: ${path} is ${found.fileType}, not a unix socket`);
    case 'refused':
      throw new CriError(
        'ConnectionRefused',
        `cannot connect to CRI runtime: nothing listens on ${path} (a stale socket left by a runtime that exited?)`,
      );
  }
}

/**
 * Connects to a CRI runtime: parses the endpoint (`unix:///run/containerd/containerd.sock`,
 * `unix:rel.sock`, or a plain path), checks that a process listens on the socket, and
 * returns typed promise / async-iterable methods for both CRI services. Message size
 * limits default to kubelet's 16 MiB both ways.
 *
 * Errors are `CriError`s: `InvalidEndpoint`, `SocketNotFound`, `NotASocket`,
 * `ConnectionRefused` here; gRPC status names (`NotFound`, `DeadlineExceeded`, ...) from calls.
 */
export async function connect(endpoint: string, options: ConnectOptions = {}): Promise<CriClient> {
  const parsed = parseEndpoint(endpoint);
  await checkSocket(parsed, options);
  const channel = new Client(parsed.target, credentials.createInsecure(), {
    ...options.channelOptions,
    ...messageLimitOptions(options),
  });
  let closed = false;
  const active = new Set<{ cancel(): void }>();
  const ctx: CallContext = { channel, defaultTimeoutMs: options.defaultTimeoutMs, active, isClosed: () => closed };
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const call of [...active]) call.cancel();
    channel.close();
  };
  return {
    endpoint: parsed,
    runtime: serviceClient(ctx, RuntimeServiceDefinition),
    image: serviceClient(ctx, ImageServiceDefinition),
    close,
    [Symbol.asyncDispose]: close,
  };
}
