import { status as GrpcStatus, type Client, type ServiceError } from '@grpc/grpc-js';
import { callDeadline, callMetadata, type CriCallOptions } from './call-options.js';
import { CriError, fromServiceError } from './cri-error.js';
import type { DeepPartial } from './gen/runtime/v1/api.js';
import type { MethodDefinition } from './service-types.js';

/** What the calls of one connection share. */
export interface CallContext {
  readonly channel: Client;
  readonly defaultTimeoutMs: number | undefined;
  /** Calls in flight, cancelled by `close()`. */
  readonly active: Set<{ cancel(): void }>;
  isClosed(): boolean;
}

/** Serializes, deserializes and names one RPC. */
export interface Rpc<Req, Res> {
  readonly path: string;
  /** `Service.Method`, used in error messages. */
  readonly label: string;
  readonly method: MethodDefinition<Req, Res>;
}

function serializer<T>(method: MethodDefinition<T, unknown>): (value: T) => Buffer {
  return (value) => Buffer.from(method.requestType.encode(value).finish());
}

function deserializer<T>(method: MethodDefinition<unknown, T>): (bytes: Buffer) => T {
  return (bytes) => method.responseType.decode(bytes);
}

function cancelledError(rpc: Rpc<unknown, unknown>, signal: AbortSignal): CriError {
  return new CriError('Cancelled', `${rpc.label}: cancelled by the caller's AbortSignal`, { cause: signal.reason });
}

function closedError(rpc: Rpc<unknown, unknown>): CriError {
  return new CriError('FailedPrecondition', `${rpc.label}: the CRI client is closed`);
}

function callError(ctx: CallContext, rpc: Rpc<unknown, unknown>, e: unknown, signal: AbortSignal | undefined): CriError {
  const cancelled = (e as Partial<ServiceError>).code === GrpcStatus.CANCELLED;
  if (cancelled && signal?.aborted) return cancelledError(rpc, signal);
  if (cancelled && ctx.isClosed()) return new CriError('Cancelled', `${rpc.label}: the CRI client was closed`, { cause: e });
  return fromServiceError(e, rpc.label);
}

/** Runs a unary RPC as a promise. */
export function unaryCall<Req, Res>(
  ctx: CallContext,
  rpc: Rpc<Req, Res>,
  request: DeepPartial<Req> | undefined,
  options: CriCallOptions = {},
): Promise<Res> {
  const { signal } = options;
  if (ctx.isClosed()) return Promise.reject(closedError(rpc));
  if (signal?.aborted) return Promise.reject(cancelledError(rpc, signal));
  let message: Req;
  try {
    message = rpc.method.requestType.fromPartial(request ?? ({} as DeepPartial<Req>));
  } catch (e) {
    return Promise.reject(new CriError('InvalidArgument', `${rpc.label}: bad request: ${(e as Error).message}`, { cause: e }));
  }
  return new Promise<Res>((resolve, reject) => {
    const onAbort = (): void => call.cancel();
    const deadline = callDeadline(options, ctx.defaultTimeoutMs);
    const call = ctx.channel.makeUnaryRequest(
      rpc.path,
      serializer(rpc.method),
      deserializer(rpc.method),
      message,
      callMetadata(options),
      deadline === undefined ? {} : { deadline },
      (error, value) => {
        signal?.removeEventListener('abort', onAbort);
        ctx.active.delete(call);
        if (error) reject(callError(ctx, rpc, error, signal));
        else if (value === undefined) reject(new CriError('Internal', `${rpc.label}: the server sent no response`));
        else resolve(value);
      },
    );
    ctx.active.add(call);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs a server-streaming RPC as an async iterable. The call starts on the
 * first `next()`; leaving the loop early (break, throw) cancels it.
 */
export async function* serverStreamCall<Req, Res>(
  ctx: CallContext,
  rpc: Rpc<Req, Res>,
  request: DeepPartial<Req> | undefined,
  options: CriCallOptions = {},
): AsyncGenerator<Res, void, undefined> {
  const { signal } = options;
  if (ctx.isClosed()) throw closedError(rpc);
  if (signal?.aborted) throw cancelledError(rpc, signal);
  const message = rpc.method.requestType.fromPartial(request ?? ({} as DeepPartial<Req>));
  const deadline = callDeadline(options, undefined);
  const call = ctx.channel.makeServerStreamRequest(
    rpc.path,
    serializer(rpc.method),
    deserializer(rpc.method),
    message,
    callMetadata(options),
    deadline === undefined ? {} : { deadline },
  );
  const onAbort = (): void => call.cancel();
  ctx.active.add(call);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const item of call) yield item as Res;
  } catch (e) {
    throw callError(ctx, rpc, e, signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    ctx.active.delete(call);
    call.cancel();
  }
}
