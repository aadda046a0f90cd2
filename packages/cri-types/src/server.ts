import { once } from 'node:events';
import {
  Server,
  type Metadata,
  type sendUnaryData,
  type ServerOptions,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition as GrpcServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { CriError, isCriError, toGrpcStatus } from './cri-error.js';
import {
  ImageServiceDefinition,
  ImageServiceService,
  RuntimeServiceDefinition,
  RuntimeServiceService,
  type DeepPartial,
} from './gen/runtime/v1/api.js';
import { messageLimitOptions } from './message-limits.js';
import type { MethodDefinition, RequestOf, ResponseOf, ServiceDefinition } from './service-types.js';

/** What a handler learns about its call besides the request. */
export interface CriCallContext {
  /** Aborted when the client cancels, the call's deadline passes, or the server is force-stopped. */
  readonly signal: AbortSignal;
  /** The request metadata (headers). */
  readonly metadata: Metadata;
  /** The deadline the client set, if any. */
  readonly deadline: Date | undefined;
}

/** A unary handler: returns (a promise of) the response; missing fields take their defaults. */
export type CriUnaryHandler<Req, Res> = (request: Req, ctx: CriCallContext) => Promise<DeepPartial<Res>> | DeepPartial<Res>;

/** A server-streaming handler: yields responses; it should stop when `ctx.signal` aborts. */
export type CriStreamHandler<Req, Res> = (request: Req, ctx: CriCallContext) => AsyncIterable<DeepPartial<Res>>;

/** Handlers for some or all RPCs of a service, keyed in lower camel case (`runPodSandbox`). */
export type CriServiceHandlers<D extends ServiceDefinition> = {
  [K in keyof D['methods']]?: D['methods'][K] extends { responseStream: true }
    ? CriStreamHandler<RequestOf<D['methods'][K]>, ResponseOf<D['methods'][K]>>
    : CriUnaryHandler<RequestOf<D['methods'][K]>, ResponseOf<D['methods'][K]>>;
};

/** Handlers of `runtime.v1.RuntimeService`. */
export type RuntimeServiceHandlers = CriServiceHandlers<RuntimeServiceDefinition>;

/** Handlers of `runtime.v1.ImageService`. */
export type ImageServiceHandlers = CriServiceHandlers<ImageServiceDefinition>;

/** Options of the `add*Service` functions. */
export interface AddServiceOptions {
  /** Told about handler failures that were not a `CriError` (they are answered with `Unknown`). */
  onError?: (error: unknown, rpc: string) => void;
}

type AnyHandler = (this: unknown, request: unknown, ctx: CriCallContext) => unknown;

// setTimeout fires at once for delays past 2^31-1 ms, so longer deadlines get no timer.
const MAX_TIMER_MS = 2 ** 31 - 1;

function callContext(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, rpc: string) {
  const controller = new AbortController();
  const onCancel = (): void => controller.abort(new CriError('Cancelled', `${rpc}: the client cancelled the call`));
  call.on('cancelled', onCancel);
  const raw = call.getDeadline();
  const ms = raw instanceof Date ? raw.getTime() : raw;
  const deadline = Number.isFinite(ms) ? new Date(ms) : undefined;
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined && ms - Date.now() <= MAX_TIMER_MS) {
    timer = setTimeout(
      () => controller.abort(new CriError('DeadlineExceeded', `${rpc}: the call's deadline passed`)),
      Math.max(0, ms - Date.now()),
    );
  }
  const ctx: CriCallContext = { signal: controller.signal, metadata: call.metadata, deadline };
  const done = (): void => {
    clearTimeout(timer);
    call.removeListener('cancelled', onCancel);
  };
  return { ctx, done };
}

function unaryHandler(rpc: string, method: MethodDefinition, handler: AnyHandler, self: unknown, options: AddServiceOptions) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const { ctx, done } = callContext(call, rpc);
    Promise.resolve()
      .then(() => handler.call(self, call.request, ctx))
      .then((response) => method.responseType.fromPartial((response ?? {}) as DeepPartial<unknown>))
      .then(
        (message) => {
          done();
          callback(null, message);
        },
        (e: unknown) => {
          done();
          if (!isCriError(e)) options.onError?.(e, rpc);
          callback(toGrpcStatus(e));
        },
      );
  };
}

function streamHandler(rpc: string, method: MethodDefinition, handler: AnyHandler, self: unknown, options: AddServiceOptions) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const { ctx, done } = callContext(call, rpc);
    void (async () => {
      try {
        const items = handler.call(self, call.request, ctx) as AsyncIterable<unknown>;
        for await (const item of items) {
          if (ctx.signal.aborted) break;
          if (!call.write(method.responseType.fromPartial(item as DeepPartial<unknown>))) {
            await once(call, 'drain', { signal: ctx.signal });
          }
        }
        if (!ctx.signal.aborted) call.end();
      } catch (e) {
        if (ctx.signal.aborted) return;
        if (!isCriError(e)) options.onError?.(e, rpc);
        call.emit('error', toGrpcStatus(e));
      } finally {
        done();
      }
    })();
  };
}

function unimplemented(rpc: string, streaming: boolean) {
  const status = toGrpcStatus(new CriError('Unimplemented', `${rpc} is not implemented by this runtime`));
  return streaming
    ? (call: ServerWritableStream<unknown, unknown>): void => void call.emit('error', status)
    : (_call: unknown, callback: sendUnaryData<unknown>): void => callback(status);
}

function addService<D extends ServiceDefinition>(
  server: Server,
  definition: D,
  grpcDefinition: GrpcServiceDefinition,
  handlers: CriServiceHandlers<D>,
  options: AddServiceOptions,
): void {
  const implementation: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(definition.methods) as [string, MethodDefinition][]) {
    const rpc = `${definition.fullName}/${method.name}`;
    const handler = (handlers as Record<string, AnyHandler | undefined>)[key];
    if (handler === undefined) implementation[key] = unimplemented(rpc, method.responseStream);
    else if (typeof handler !== 'function') throw new TypeError(`handler for ${rpc} (${key}) is not a function`);
    else if (method.responseStream) implementation[key] = streamHandler(rpc, method, handler, handlers, options);
    else implementation[key] = unaryHandler(rpc, method, handler, handlers, options);
  }
  server.addService(grpcDefinition, implementation);
}

/** Registers `runtime.v1.RuntimeService`; RPCs without a handler answer `Unimplemented` naming the RPC. */
export function addRuntimeService(server: Server, handlers: RuntimeServiceHandlers, options: AddServiceOptions = {}): void {
  addService(server, RuntimeServiceDefinition, RuntimeServiceService, handlers, options);
}

/** Registers `runtime.v1.ImageService`; RPCs without a handler answer `Unimplemented` naming the RPC. */
export function addImageService(server: Server, handlers: ImageServiceHandlers, options: AddServiceOptions = {}): void {
  addService(server, ImageServiceDefinition, ImageServiceService, handlers, options);
}

/**
 * Handler errors become gRPC statuses: a thrown `CriError` keeps its code
 * (`criError('NotFound', ...)` answers NOT_FOUND), anything else answers UNKNOWN
 * with the error's message.
 */
export function addCriServices(
  server: Server,
  handlers: { runtime?: RuntimeServiceHandlers; image?: ImageServiceHandlers },
  options: AddServiceOptions = {},
): void {
  addRuntimeService(server, handlers.runtime ?? {}, options);
  addImageService(server, handlers.image ?? {}, options);
}

/** A grpc-js server with kubelet's 16 MiB message limits (or the given ones) in both directions. */
export function createCriServer(
  options: { maxSendMessageBytes?: number; maxReceiveMessageBytes?: number; serverOptions?: ServerOptions } = {},
): Server {
  return new Server({ ...options.serverOptions, ...messageLimitOptions(options) });
}
