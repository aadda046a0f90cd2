import { once } from 'node:events';
import { mkdir, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { probeSocket } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import { parseMetricsAddress, type MetricsAddress } from './metrics-address.js';
import type { ShimMetrics } from './metrics.js';

/** The HTTP server of `GET /metrics`. */
export interface MetricsServer {
  /** Where it listens: `host:port` with the port it got, or the socket path. */
  readonly address: string;
  close(): Promise<void>;
}

function serve(metrics: ShimMetrics): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') return void response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    metrics.scrape().then(
      ({ contentType, text }) => void response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : text),
      (e: unknown) => void response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(e)}\n`),
    );
  });
}

// Like the CRI socket: a socket nobody answers on is replaced, anything else at the path is left alone.
async function clearSocketPath(path: string): Promise<void> {
  const found = await probeSocket(path);
  if (found.state === 'live') throw new ShimError('FailedPrecondition', `metrics socket ${path}: another process is serving it`);
  if (found.state === 'not-socket') throw new ShimError('FailedPrecondition', `metrics socket ${path}: it is ${found.fileType}, not a unix socket; refusing to replace it`);
  if (found.state === 'refused') await unlink(path);
  await mkdir(dirname(path), { recursive: true });
}

async function listen(server: Server, address: MetricsAddress, text: string): Promise<void> {
  const listening = once(server, 'listening');
  if (address.kind === 'unix') server.listen(address.path);
  else server.listen(address.port, address.host);
  try {
    await listening;
  } catch (e) {
    throw new ShimError('Unavailable', `cannot serve metrics on ${text}: ${(e as Error).message}`, { cause: e });
  }
}

/** Serves `metrics` at `GET /metrics` on `address` (see {@link parseMetricsAddress}). */
export async function startMetricsServer(address: string, metrics: ShimMetrics): Promise<MetricsServer> {
  const where = parseMetricsAddress(address);
  if (where.kind === 'unix') await clearSocketPath(where.path);
  const server = serve(metrics);
  await listen(server, where, address);
  const bound = server.address() as AddressInfo | string;
  let closing: Promise<void> | undefined;
  return {
    address: typeof bound === 'string' ? bound : bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`,
    // closing a unix socket server removes its socket file (libuv does)
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
