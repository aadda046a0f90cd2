import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HostHelper } from '@shimkit/host-helper';
import { afterEach, describe, expect, it } from 'vitest';
import { processExecRunner } from '../exec-runner.js';
import { exitStatus, internalErrorStatus } from '../exec-status.js';
import { netnsPortForwarder } from '../port-forwarder.js';
import { listenLocal } from '../spdy-test-client.test-helper.js';
import { answerKubectlGet, forwardedPort, needsKubectl, needsScript, onTerminal, runKubectl, spawnKubectl } from './kubectl.test-helper.js';
import { acceptWebSocketPortForward } from './websocket-port-forward.js';
import { acceptWebSocketRemoteCommand } from './websocket-remote-command.js';

// kubectl (client-go) is an independent client: `exec` speaks v5.channel.k8s.io over WebSocket,
// `port-forward` SPDY/3.1+portforward.k8s.io. A fake API server hands its upgrades to our functions.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Just enough of an API server for `kubectl exec` and `kubectl port-forward` on pod `p`. */
async function fakeApiServer(): Promise<string> {
  const server = createServer((req, res) => {
    if (!answerKubectlGet((req.url ?? '/').split('?')[0] ?? '/', res, [{ name: 'c', image: 'x' }])) res.writeHead(404).end();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('/portforward')) {
      const session = acceptWebSocketPortForward(req, socket, head, { target: { podSandboxId: 'p' }, forward: netnsPortForwarder(new HostHelper()) });
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

describe('with kubectl as the client', needsKubectl, () => {
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

  it('kubectl exec -t over v5.channel.k8s.io sends the terminal size on the resize channel', needsScript, async () => {
    const server = await fakeApiServer();
    // script(1) gives kubectl a terminal of 33 rows and 101 columns.
    const child = spawn('script', onTerminal(server, 'exec -it p -- sh', { rows: 33, cols: 101 }), { timeout: 30_000 });
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
    const child = spawnKubectl(server, ['port-forward', 'pod/p', `:${echo.port}`]);
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    const local = await forwardedPort(child);
    for (const text of ['first connection', 'second connection']) {
      const socket: Socket = connect({ host: '127.0.0.1', port: local });
      socket.on('error', () => undefined);
      socket.write(text);
      let got = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no echo of ${text} through port ${local}`)), 10_000);
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
