import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as prom from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// the same dead socket the CRI socket's tests use
import { makeDeadSocket } from '../../../cri-types/src/socket-fixtures.test-helper.js';
import { isShimError } from '../errors.js';
import { parseMetricsAddress } from './metrics-address.js';
import { startMetricsServer } from './metrics-server.js';
import { PrometheusMetrics } from './prometheus-metrics.js';

function scrapeUnix(socketPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) =>
    get({ socketPath, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject),
  );
}

const listening = (server: Server, path: string) => new Promise<void>((r) => server.listen(path, r));

describe('the metrics server', () => {
  let dir: string;
  const metrics = new PrometheusMetrics(prom, { processMetrics: false });
  metrics.rpcDone({ rpc: 'Version', code: 'OK', seconds: 0.002 });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-metrics-${process.pid}-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses host:port, [v6]:port and socket paths, naming a bad address', () => {
    expect(parseMetricsAddress('127.0.0.1:9090')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9090 });
    expect(parseMetricsAddress('[::1]:0')).toEqual({ kind: 'tcp', host: '::1', port: 0 });
    expect(parseMetricsAddress('localhost:9537')).toEqual({ kind: 'tcp', host: 'localhost', port: 9537 });
    expect(parseMetricsAddress('unix:///run/shimkit/metrics.sock')).toEqual({ kind: 'unix', path: '/run/shimkit/metrics.sock' });
    expect(parseMetricsAddress('/run/m.sock')).toEqual({ kind: 'unix', path: '/run/m.sock' });
    for (const bad of ['9090', ':9090', 'host:', 'host:99999', 'relative/m.sock', '[::1:9090']) {
      expect(() => parseMetricsAddress(bad), bad).toThrow(`"${bad}" is not a metrics address`);
    }
  });

  it('serves on a unix socket (its directory made), replaces a stale socket and removes its own on close', async () => {
    const path = join(dir, 'run', 'metrics.sock');
    const first = await startMetricsServer(path, metrics);
    expect(first.address).toBe(path);
    const { status, body } = await scrapeUnix(path);
    expect(status).toBe(200);
    expect(body).toContain('shimkit_grpc_requests_total{method="Version",code="OK"} 1\n');
    await first.close();
    await expect(access(path)).rejects.toThrow();

    makeDeadSocket(path); // a socket file nobody listens on: its server was killed
    const second = await startMetricsServer(`unix://${path}`, metrics);
    expect((await scrapeUnix(path)).status).toBe(200);
    await second.close();
  });

  it('refuses a socket another process serves and a path that is not a socket, leaving both alone', async () => {
    const live = join(dir, 'live.sock');
    const other = createServer();
    await listening(other, live);
    try {
      const e = await startMetricsServer(live, metrics).catch((x: unknown) => x);
      expect(isShimError(e, 'FailedPrecondition')).toBe(true);
      expect((e as Error).message).toBe(`metrics socket ${live}: another process is serving it`);
      await access(live);
    } finally {
      await new Promise((r) => other.close(r));
    }
    const file = join(dir, 'file');
    await writeFile(file, 'keep me');
    await expect(startMetricsServer(file, metrics)).rejects.toThrow(`metrics socket ${file}: it is a regular file, not a unix socket; refusing to replace it`);
    await access(file);
  });

  it('names the address it cannot listen on', async () => {
    const server = await startMetricsServer('127.0.0.1:0', metrics);
    try {
      const e = await startMetricsServer(server.address, metrics).catch((x: unknown) => x);
      expect(isShimError(e, 'Unavailable')).toBe(true);
      expect((e as Error).message).toContain(`cannot serve metrics on ${server.address}: listen EADDRINUSE`);
    } finally {
      await server.close();
    }
  });
});
