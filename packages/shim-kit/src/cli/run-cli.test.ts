import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect } from '@shimkit/cri-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from './run-cli.js';

describe('runCli', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io = (waitForSignal?: () => Promise<string>) => ({ stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), ...(waitForSignal ? { waitForSignal } : {}) });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-cli-${process.pid}-`));
    out = '';
    err = '';
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves until a signal, with the config file and the log level of the command line', async () => {
    await writeFile(join(dir, 'c.json'), JSON.stringify({ logLevel: 'error', runtimeName: 'my-shim', network: { confDir: join(dir, 'no-cni') } }));
    let stop!: (name: string) => void;
    const signalled = new Promise<string>((r) => (stop = r));
    const socket = join(dir, 'cri.sock');
    const running = runCli(['serve', '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', join(dir, 'c.json'), '--log-level', 'info'], io(() => signalled));
    for (let i = 0; i < 200 && !err.includes('shimkit serving'); i++) await new Promise((r) => setTimeout(r, 25));
    const cri = await connect(`unix://${socket}`);
    expect((await cri.runtime.version({})).runtimeName).toBe('my-shim');
    const network = (await cri.runtime.status({})).status?.conditions.find((c) => c.type === 'NetworkReady');
    expect(network).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    await cri.close();
    stop('SIGTERM');
    expect(await running).toBe(EXIT.ok);
    expect(err).toMatch(/INFO {2}shutting down; containers keep running signal=SIGTERM\n.*INFO {2}shim stopped\n$/);
  });

  it('serves metrics on a unix socket and logs JSON lines with each call\'s request id; stopping removes both sockets', async () => {
    await writeFile(join(dir, 'c.json'), JSON.stringify({ logFormat: 'text', network: { confDir: join(dir, 'no-cni') } }));
    let stop!: (name: string) => void;
    const signalled = new Promise<string>((r) => (stop = r));
    const socket = join(dir, 'cri.sock');
    const metrics = join(dir, 'metrics', 'metrics.sock');
    const args = ['serve', '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', join(dir, 'c.json'), '--log-format', 'json', '--log-level', 'debug', '--metrics-address', `unix://${metrics}`];
    const running = runCli(args, io(() => signalled));
    for (let i = 0; i < 200 && !err.includes('shimkit serving'); i++) await new Promise((r) => setTimeout(r, 25));
    const cri = await connect(`unix://${socket}`);
    await cri.runtime.version({}, { metadata: { 'x-request-id': 'req-42' } });
    await expect(cri.runtime.podSandboxStatus({ podSandboxId: 'nope' }, { metadata: { 'x-request-id': 'req-43' } })).rejects.toMatchObject({ code: 'NotFound' });
    await cri.close();
    const text = await new Promise<string>((resolve, reject) =>
      get({ socketPath: metrics, path: '/metrics' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body)).on('error', reject);
      }).on('error', reject),
    );
    expect(text).toContain('shimkit_grpc_requests_total{method="Version",code="OK"} 1\n');
    expect(text).toContain('shimkit_grpc_requests_total{method="PodSandboxStatus",code="NotFound"} 1\n');
    stop('SIGTERM');
    expect(await running).toBe(EXIT.ok);
    const lines = err.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'shimkit serving')).toMatchObject({ level: 'info', metrics: metrics });
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'shim stopped' });
    const ofCall = (rpc: string) => lines.filter((l) => l.rpc === rpc);
    expect(ofCall('Version').map((l) => [l.msg, l.requestId])).toEqual([['CRI call', 'req-42'], ['CRI call done', 'req-42']]);
    expect(ofCall('PodSandboxStatus').at(-1)).toMatchObject({ level: 'debug', msg: 'CRI call done', code: 'NotFound', requestId: 'req-43' });
    await expect(access(metrics)).rejects.toThrow();
    await expect(access(socket)).rejects.toThrow();
  });

  it('fails to start, leaving no CRI socket, when the metrics address is taken', async () => {
    await writeFile(join(dir, 'c.json'), JSON.stringify({ network: { confDir: join(dir, 'no-cni') } }));
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    const socket = join(dir, 'cri.sock');
    try {
      const args = ['serve', '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', join(dir, 'c.json'), '--metrics-address', `127.0.0.1:${port}`];
      expect(await runCli(args, io(() => new Promise(() => undefined)))).toBe(EXIT.failed);
    } finally {
      taken.close();
    }
    expect(err).toContain(`shim failed to start code=Unavailable error="cannot serve metrics on 127.0.0.1:${port}: listen EADDRINUSE`);
    await expect(access(socket)).rejects.toThrow();
  });

  it('prints usage to stderr with exit 2, help and version to stdout with exit 0', async () => {
    expect(await runCli(['serve'], io())).toBe(EXIT.usage);
    expect(err).toContain('shimkit: serve needs --socket, --root, --state\n\nUsage:');
    expect(await runCli(['help'], io())).toBe(EXIT.ok);
    expect(await runCli(['version'], io())).toBe(EXIT.ok);
    expect(out).toMatch(/^Usage: shimkit serve[\s\S]*\nshimkit 0\.\d+\.\d+\n$/);
  });
});
