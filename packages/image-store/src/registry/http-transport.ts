import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import type * as Undici from 'undici';
import { abortError, ImageStoreError, isImageStoreError } from '../errors.js';
import { chunksOf } from '../stream/chunks-of.js';

/** The parts of undici the registry client uses. */
export interface UndiciParts {
  request(url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher?: Dispatcher }): Promise<Dispatcher.ResponseData>;
  Agent: typeof Undici.Agent;
}

// undici is loaded on the first request, not with the store: opening a store for local work
// (the CLI's `shimkit run` of an image it has) then skips its start-up cost. Only its request API
// and Agent are loaded: its index loads all it has (fetch, WebSocket, EventSource, caches, mocks),
// 131 ms against 69 ms here (medians of 12, load average 8), for every command that talks to a
// registry. These files are undici 6's own layout (it has no exports map), so the dependency is
// pinned to its patch releases; the registry tests fail on an upgrade that moves them.
const requireCjs = createRequire(import.meta.url);
let loaded: UndiciParts | undefined;
export function undici(): UndiciParts {
  loaded ??= (() => {
    const request = requireCjs('undici/lib/api/api-request.js') as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
    const { getGlobalDispatcher } = requireCjs('undici/lib/global.js') as { getGlobalDispatcher(): Dispatcher };
    return {
      request: (url, { dispatcher, ...options }) => {
        const { origin, pathname, search } = new URL(url);
        return request.call(dispatcher ?? getGlobalDispatcher(), { ...options, origin, path: `${pathname}${search}` });
      },
      Agent: requireCjs('undici/lib/dispatcher/agent.js') as typeof Undici.Agent,
    };
  })();
  return loaded;
}

export interface RetryOptions {
  /** Tries per request, the first included (default 4). */
  attempts?: number;
  /** First backoff delay; doubles each retry, with jitter (default 250 ms). */
  baseDelayMs?: number;
  /** Upper bound of one delay, Retry-After included (default 10 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** Time allowed until response headers arrive, counted from the last byte of a streamed body sent (default 30 s). */
  requestTimeoutMs?: number;
  /** A body that delivers no byte for this long fails with PROGRESS_TIMEOUT (default 30 s). */
  progressTimeoutMs?: number;
  retry?: RetryOptions;
  userAgent?: string;
  /** Follow at most this many redirects (default 5). */
  maxRedirects?: number;
}

/**
 * A request body: bytes, or a stream of them that can be sent once (never retried, redirected
 * or re-sent after a 401; its length must be given in `content-length`).
 */
export type RequestBody = Uint8Array | string | AsyncIterable<Uint8Array>;

export const isStreamedBody = (body: RequestBody | undefined): body is AsyncIterable<Uint8Array> =>
  body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array);

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  signal?: AbortSignal;
  /** Retry 429, 5xx and network errors (default true; off for non-idempotent requests). */
  retry?: boolean;
  /** A connection pool with its own TLS settings (custom CA, no verification) for the request's own host. */
  dispatcher?: Dispatcher;
}

/** A response's headers, by name (any case); repeated ones joined with `, ` as fetch's Headers does. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

/** What a server answered. */
export interface RegistryResponse {
  status: number;
  headers: ResponseHeaders;
  /** Read it to the end, or abort the response, to free the connection. */
  body: Readable;
}

/** A response plus the means to abort its body. */
export interface HttpResponse {
  response: RegistryResponse;
  /** The URL that answered, after redirects. */
  url: string;
  /** Aborts the underlying request (body included). */
  abort(reason?: unknown): void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function retryable(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

/**
 * fetch with bounded timeouts, manual redirects (the Authorization header is
 * dropped when a redirect leaves the original host) and bounded retries with
 * exponential backoff on 429, 5xx and network errors.
 */
export class HttpTransport {
  readonly requestTimeoutMs: number;
  readonly progressTimeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly userAgent: string;
  private readonly maxRedirects: number;

  constructor(options: TransportOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.progressTimeoutMs = options.progressTimeoutMs ?? 30_000;
    this.attempts = Math.max(1, options.retry?.attempts ?? 4);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 250;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
    this.userAgent = options.userAgent ?? 'shimkit-image-store/0.1';
    this.maxRedirects = options.maxRedirects ?? 5;
  }

  /** Delay before retry number `attempt` (1-based), honouring Retry-After. */
  backoff(attempt: number, retryAfter?: string | null): number {
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, this.maxDelayMs);
    const exp = this.baseDelayMs * 2 ** (attempt - 1);
    return Math.min(exp / 2 + Math.random() * (exp / 2), this.maxDelayMs);
  }

  /** Sends a request; returns the final response whatever its status, after retries are spent. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const tries = request.retry === false || isStreamedBody(request.body) ? 1 : this.attempts;
    let lastError: unknown;
    for (let attempt = 1; attempt <= tries; attempt++) {
      if (attempt > 1) await sleep(this.backoff(attempt - 1, (lastError as { retryAfter?: string } | undefined)?.retryAfter), request.signal);
      try {
        const result = await this.sendFollowingRedirects(request);
        if (attempt < tries && retryable(result.response.status)) {
          lastError = { retryAfter: result.response.headers.get('retry-after') };
          result.abort();
          continue;
        }
        return result;
      } catch (e) {
        if (request.signal?.aborted) throw abortError(request.signal, `${request.method ?? 'GET'} ${request.url}`);
        if (isImageStoreError(e) && e.code !== 'REGISTRY_NETWORK') throw e;
        lastError = e;
        if (attempt === tries) throw e;
      }
    }
    throw lastError;
  }

  private async sendFollowingRedirects(original: HttpRequest): Promise<HttpResponse> {
    let request = original;
    const origin = new URL(request.url).host;
    let url = request.url;
    let headers = { 'user-agent': this.userAgent, ...request.headers };
    for (let hop = 0; ; hop++) {
      const result = await this.sendOnce({ ...request, url, headers });
      const { status } = result.response;
      if (status < 300 || status >= 400 || status === 304 || isStreamedBody(request.body)) return result;
      const location = result.response.headers.get('location');
      result.abort();
      if (!location) throw new ImageStoreError('REGISTRY_PROTOCOL', `${url} redirected (${status}) without a Location`, { status });
      if (hop >= this.maxRedirects) throw new ImageStoreError('REGISTRY_PROTOCOL', `too many redirects from ${request.url}`, { status });
      url = new URL(location, url).toString();
      if (new URL(url).host !== origin) {
        // The registry's credentials (and TLS exceptions) are for the registry only, never for a blob host it redirects to.
        const { authorization: _drop, ...rest } = headers as Record<string, string>;
        headers = rest as typeof headers;
        request = { ...request, dispatcher: undefined };
      }
    }
  }

  private async sendOnce(request: HttpRequest & { url: string }): Promise<HttpResponse> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) throw abortError(request.signal);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => controller.abort(new ImageStoreError('REGISTRY_NETWORK', `${request.method ?? 'GET'} ${request.url}: no response within ${this.requestTimeoutMs} ms`)),
      this.requestTimeoutMs,
    );
    const { body } = request;
    // A long upload is not a slow answer: the wait for headers starts again with every chunk sent.
    async function* refreshing(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        timer.refresh();
        yield chunk;
      }
    }
    const abort = (reason?: unknown) => {
      request.signal?.removeEventListener('abort', onAbort);
      controller.abort(reason);
    };
    try {
      // undici's request API, not fetch: its body is a plain Node stream, where fetch's web streams
      // copied every chunk twice (a pull of large layers spent more CPU there than in gunzip).
      const answer = await undici().request(request.url, {
        method: (request.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: request.headers,
        body: isStreamedBody(body) ? Readable.from(refreshing(body), { objectMode: false }) : body,
        signal: controller.signal,
        ...(request.dispatcher === undefined ? {} : { dispatcher: request.dispatcher }),
      });
      // abort() destroys the body with an error; readers see it through their iterator, and
      // this keeps a body nobody reads from raising it as an uncaught 'error' event.
      answer.body.on('error', () => undefined);
      // Not a fetch Headers: the first one made loads node's own copy of undici (fetch and all).
      const raw = answer.headers;
      const headers: ResponseHeaders = {
        get: (name) => {
          const value = raw[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
      };
      return { response: { status: answer.statusCode, headers, body: answer.body }, url: request.url, abort };
    } catch (e) {
      abort();
      if (request.signal?.aborted) throw abortError(request.signal);
      if (isImageStoreError(controller.signal.reason)) throw controller.signal.reason;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ImageStoreError('REGISTRY_NETWORK', `${request.method ?? 'GET'} ${request.url}: ${cause?.message ?? (e as Error).message}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Reads a response body chunk by chunk. No byte for `progressTimeoutMs` aborts
 * the request with PROGRESS_TIMEOUT; a broken connection becomes REGISTRY_NETWORK.
 */
export async function* readBody(res: HttpResponse, progressTimeoutMs: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const reader = chunksOf(res.response.body);
  let timer: NodeJS.Timeout | undefined;
  let stalled: ImageStoreError | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = new ImageStoreError('PROGRESS_TIMEOUT', `${res.url}: no data for ${progressTimeoutMs} ms`);
      res.abort(stalled);
    }, progressTimeoutMs);
  };
  try {
    for (;;) {
      arm();
      let next: IteratorResult<Buffer>;
      try {
        next = await reader.next();
      } catch (e) {
        if (stalled) throw stalled;
        if (signal?.aborted) throw abortError(signal);
        throw new ImageStoreError('REGISTRY_NETWORK', `${res.url}: body read failed: ${(e as Error).message}`, { cause: e });
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
    res.abort();
    await reader.return(undefined);
  }
}

/** Reads a whole (small) body, bounded by `limit` bytes. */
export async function readAll(res: HttpResponse, progressTimeoutMs: number, limit: number, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of readBody(res, progressTimeoutMs, signal)) {
    size += chunk.length;
    if (size > limit) throw new ImageStoreError('REGISTRY_PROTOCOL', `${res.url}: response is larger than ${limit} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
