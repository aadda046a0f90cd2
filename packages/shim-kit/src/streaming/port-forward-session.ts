import type { Duplex } from 'node:stream';
import { SpdyConnection } from './spdy-connection.js';
import type { SpdyStream } from './spdy-stream.js';
import { forwardingError, type PortForwarder, type PortForwardTarget } from './port-forwarder.js';

/** Options of {@link servePortForward}. */
export interface PortForwardSessionOptions {
  target: PortForwardTarget;
  forward: PortForwarder;
  /** How long the second stream of a pair may take after the first (kubelet: the stream creation timeout). */
  pairTimeoutMs: number;
}

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * Serves `portforward.k8s.io` on an upgraded socket: the client opens a `data` and an `error`
 * stream per connection, both with the `port` and `requestID` headers; once both are there the
 * data stream is relayed to the port, and a failure is written to the error stream as text.
 */
export function servePortForward(socket: Duplex, options: PortForwardSessionOptions): SpdyConnection {
  const pairs = new Map<string, Pair>();
  const aborter = new AbortController();
  const connection = new SpdyConnection(socket, {
    onStream: (stream) => {
      const type = stream.header('streamtype');
      const requestId = stream.header('requestid');
      if ((type !== 'data' && type !== 'error') || requestId === undefined) return void stream.destroy();
      let pair = pairs.get(requestId);
      if (pair === undefined) {
        const timer = setTimeout(() => {
          pairs.delete(requestId);
          pair?.data?.destroy();
          pair?.error?.destroy();
        }, options.pairTimeoutMs);
        pair = { timer };
        pairs.set(requestId, pair);
      }
      if (pair[type] !== undefined) return void stream.destroy();
      pair[type] = stream;
      if (pair.data !== undefined && pair.error !== undefined) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        void relay(pair.data, pair.error, options, aborter.signal);
      }
    },
  });
  void connection.closed.then(() => {
    aborter.abort();
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
  return connection;
}

async function relay(data: SpdyStream, error: SpdyStream, options: PortForwardSessionOptions, signal: AbortSignal): Promise<void> {
  error.on('error', () => undefined);
  data.on('error', () => undefined);
  error.resume(); // the client writes nothing there
  const text = data.header('port') ?? '';
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) return fail(data, error, `invalid port ${JSON.stringify(text)} in the data stream's port header`);
  let target: Duplex;
  try {
    target = await options.forward(options.target, port, signal);
  } catch (e) {
    return fail(data, error, forwardingError(options.target, port, e));
  }
  target.on('error', () => undefined);
  data.pipe(target);
  target.pipe(data);
  await new Promise<void>((resolve) => {
    let open = 2;
    const done = (): void => {
      if (--open === 0) resolve();
    };
    data.once('close', () => {
      target.destroy();
      resolve();
    });
    target.once('close', done);
    data.once('finish', done);
  });
  error.end();
}

function fail(data: SpdyStream, error: SpdyStream, message: string): void {
  error.end(message);
  data.end();
}
