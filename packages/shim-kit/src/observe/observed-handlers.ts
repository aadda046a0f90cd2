import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isCriError, type CriCallContext, type ServiceDefinition } from '@shimkit/cri-types';
import type { ShimServices } from '../shim/shim-services.js';
import { runInCall, type CallContext } from './call-context.js';

type Unary = (request: unknown, ctx: CriCallContext) => Promise<unknown>;
type Stream = (request: unknown, ctx: CriCallContext) => AsyncIterable<unknown>;

const MAX_REQUEST_ID_LENGTH = 128;
const TRACE_HEADERS = ['traceparent', 'tracestate'];

function firstString(ctx: CriCallContext, key: string): string | undefined {
  const value = ctx.metadata.get(key)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The request id kubelet (or a proxy) sent as `x-request-id`, else a new one. */
function callOf(rpc: string, ctx: CriCallContext): CallContext {
  return { rpc, requestId: firstString(ctx, 'x-request-id')?.slice(0, MAX_REQUEST_ID_LENGTH) ?? randomUUID() };
}

function traceHeaders(ctx: CriCallContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const key of TRACE_HEADERS) {
    const value = firstString(ctx, key);
    if (value !== undefined) headers[key] = value;
  }
  return headers;
}

const codeOf = (e: unknown): string => (isCriError(e) ? e.code : 'Unknown');
const secondsSince = (started: number): number => (performance.now() - started) / 1000;

function observeUnary(shim: ShimServices, service: string, rpc: string, handler: Unary): Unary {
  return (request, ctx) => {
    const call = callOf(rpc, ctx);
    return runInCall(call, async () => {
      const started = performance.now();
      let code = 'OK';
      shim.logger.debug('CRI call', { rpc });
      try {
        return await shim.tracer.inCall({ rpc: `${service}/${rpc}`, headers: traceHeaders(ctx) }, () => handler(request, ctx));
      } catch (e) {
        code = codeOf(e);
        throw e;
      } finally {
        const seconds = secondsSince(started);
        shim.metrics.rpcDone({ rpc, code, seconds });
        shim.logger.debug('CRI call done', { rpc, code, ms: Math.round(seconds * 1000) });
      }
    });
  };
}

// Streams are measured from the call to their end; they get no span (GetContainerEvents lasts as long as kubelet runs).
function observeStream(shim: ShimServices, rpc: string, handler: Stream): Stream {
  return async function* (request, ctx) {
    const call = callOf(rpc, ctx);
    const started = performance.now();
    let code = 'OK';
    const items = runInCall(call, () => handler(request, ctx))[Symbol.asyncIterator]();
    try {
      for (;;) {
        const item = await runInCall(call, () => items.next());
        if (item.done === true) return;
        yield item.value;
      }
    } catch (e) {
      code = codeOf(e);
      throw e;
    } finally {
      await runInCall(call, async () => items.return?.());
      shim.metrics.rpcDone({ rpc, code: ctx.signal.aborted && code === 'OK' ? 'Cancelled' : code, seconds: secondsSince(started) });
    }
  };
}

/**
 * Wraps a service's handlers so that each call runs with its request id (for the logger, see
 * `currentCall`), in a span of the shim's tracer, and is counted in its metrics by method and code.
 */
export function observeHandlers<H extends object>(shim: ShimServices, { definition, handlers }: { definition: ServiceDefinition; handlers: H }): H {
  const observed: Record<string, unknown> = {};
  for (const [key, handler] of Object.entries(handlers)) {
    const method = definition.methods[key];
    if (method === undefined || typeof handler !== 'function') observed[key] = handler;
    else if (method.responseStream) observed[key] = observeStream(shim, method.name, (handler as Stream).bind(handlers));
    else observed[key] = observeUnary(shim, definition.fullName, method.name, (handler as Unary).bind(handlers));
  }
  return observed as H;
}
