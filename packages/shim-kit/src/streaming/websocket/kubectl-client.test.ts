import { execFileSync, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { processExecRunner } from '../exec-runner.js';
import { exitStatus, internalErrorStatus } from '../exec-status.js';
import { netnsPortForwarder } from '../port-forwarder.js';
import { listenLocal } from '../spdy-test-client.test-helper.js';
import { acceptWebSocketPortForward } from './websocket-port-forward.js';
import { acceptWebSocketRemoteCommand } from './websocket-remote-command.js';

// kubectl (client-go) is an independent client: `exec` speaks v5.channel.k8s.io over WebSocket,
// `port-forward` SPDY/3.1+portforward.k8s.io. A fake API server hands its upgrades to our functions.
function runs(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const kubectl = runs('kubectl', ['version', '--client']) ? 'kubectl' : undefined;
// util-linux script(1) gives kubectl the terminal `exec -t` needs.
const hasScript = runs('script', ['-qec', 'true', '/dev/null']);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const json = (res: ServerResponse, code: number, body: unknown): void => void res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** Just enough of an API server for `kubectl exec` and `kubectl port-forward` on pod `p`. */
async function fakeApiServer(): Promise<string> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/version') return json(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0' });
    if (path === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (path === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api/v1') {
      return json(res, 200, {
        kind: 'APIResourceList', groupVersion: 'v1',
        resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get'] },
          { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
          { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
        ],
      });
    }
    if (path === '/api/v1/namespaces/default/pods/p') {
      return json(res, 200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running' } });
    }
    json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('/portforward')) {
      const session = acceptWebSocketPortForward(req, socket, head, { target: { podSandboxId: 'p' }, forward: netnsPortForwarder() });
      if (session) cleanups.push(() => session.close());
      return;
    }
    const flag = (name: string): boolean => ['1', 'true'].includes(url.searchParams.get(name) ?? '');
    const request = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
    const session = acceptWebSocketRemoteCommand(req, socket, head, request);
    if (!session) return;
    cleanups.push(() => session.close());
    void (async () => {
      const streams = await session.streams;
      if (request.tty) {
        // A terminal session: report the first terminal size the client sends.
        const size = await new Promise<string>((resolve) => streams.resize?.once('data', (d: Buffer) => resolve(d.toString())));
        await new Promise((r) => streams.stdout?.write(`size ${size}\r\n`, r));
        streams.error.end(JSON.stringify(exitStatus(0)));
        return session.close();
      }
      const aborter = new AbortController();
      void session.closed.then(() => aborter.abort());
      const cmd = url.searchParams.getAll('command');
      let status;
      try {
        status = exitStatus(await processExecRunner((r) => r.cmd)({ containerId: 'c', cmd, ...request }, streams, aborter.signal));
      } catch (e) {
        status = internalErrorStatus((e as Error).message);
      }
      streams.error.end(JSON.stringify(status));
      await session.close();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

function runKubectl(server: string, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(kubectl as string, [`--server=${server}`, ...args], { env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' }, timeout: 30_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe.skipIf(kubectl === undefined)('with kubectl as the client', () => {
  it('kubectl exec over v5.channel.k8s.io: stdin to EOF (close signal), stdout, stderr and the exit code', async () => {
    const server = await fakeApiServer();
    const result = await runKubectl(server, ['exec', '-i', 'p', '--', '/bin/sh', '-c', 'cat; echo to-stderr >&2; exit 3'], 'hello from kubectl\n');
    expect(result.stdout).toBe('hello from kubectl\n');
    expect(result.stderr).toContain('to-stderr\n');
    expect(result.stderr).toContain('command terminated with exit code 3');
    expect(result.code).toBe(3);
    const ok = await runKubectl(server, ['exec', 'p', '--', '/bin/echo', 'fine'], '');
    expect(ok).toEqual({ code: 0, stdout: 'fine\n', stderr: '' });
  });

  it.skipIf(!hasScript)('kubectl exec -t over v5.channel.k8s.io sends the terminal size on the resize channel', async () => {
    const server = await fakeApiServer();
    // script(1) gives kubectl a terminal of 33 rows and 101 columns.
    const line = `stty rows 33 cols 101; KUBECONFIG=/nonexistent/kubeconfig ${kubectl as string} --server=${server} exec -it p -- sh`;
    const child = spawn('script', ['-qec', line, '/dev/null'], { timeout: 30_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(out).toContain('size {"Width":101,"Height":33}');
    expect(code).toBe(0);
  });

  it('kubectl port-forward over SPDY/3.1+portforward.k8s.io to a TCP echo server', async () => {
    const echo = await listenLocal((s) => {
      s.on('error', () => undefined);
      s.pipe(s);
    });
    cleanups.push(() => echo.close());
    const server = await fakeApiServer();
    const child = spawn(kubectl as string, [`--server=${server}`, 'port-forward', 'pod/p', `:${echo.port}`], { env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' } });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && !/Forwarding from 127\.0\.0\.1:\d+/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(local, out).toBeGreaterThan(0);
    for (const text of ['first connection', 'second connection']) {
      const socket: Socket = connect({ host: '127.0.0.1', port: local });
      socket.on('error', () => undefined);
      socket.write(text);
      let got = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no echo; kubectl said ${out}`)), 10_000);
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          if (got === text) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      socket.destroy();
    }
  });
});
