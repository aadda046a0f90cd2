// kubectl (client-go) as the streaming client of a real shim: a fake API server answers the few
// GETs kubectl makes and, as kubelet does, asks the shim for an Exec/PortForward URL over CRI and
// proxies the client's upgrade to it byte for byte. kubectl 1.30+ speaks WebSocket for exec
// (v5.channel.k8s.io) and SPDY tunnelled in WebSocket for port-forward.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ContainerState, type CriClient } from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { answerKubectlGet, forwardedPort, needsKubectl, needsScript, onTerminal, runKubectl, spawnKubectl } from '../../src/streaming/websocket/kubectl.test-helper.js';
import { useE2eShim, type E2eBed } from './e2e-bed.js';

let bed: E2eBed;
let cri: CriClient;
let api: { url: string; close(): Promise<void> };
let pod: { podSandboxId: string; containerId: string; shellId: string };

/** The GETs kubectl makes before it streams, and the upgrades proxied to the shim's streaming server. */
async function fakeApiServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Duplex>();
  const containers = [{ name: 'c', image: 'busybox' }, { name: 'shell', image: 'busybox', stdin: true, stdinOnce: true }];
  const server = createServer((req, res) => {
    if (!answerKubectlGet(new URL(req.url ?? '/', 'http://x').pathname, res, containers)) res.writeHead(404).end();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    void proxy(req, socket, head).catch((e: unknown) => socket.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Length: ${String(e).length}\r\n\r\n${String(e)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Asks the shim for the streaming URL of this request, then relays the upgrade to it unchanged (kubelet's redirect-less proxy). */
async function proxy(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const flag = (name: string): boolean => ['1', 'true'].includes(url.searchParams.get(name) ?? '');
  const streams = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
  const containerId = url.searchParams.get('container') === 'shell' ? pod.shellId : pod.containerId;
  const target = url.pathname.endsWith('/portforward')
    ? await cri.runtime.portForward({ podSandboxId: pod.podSandboxId, port: url.searchParams.getAll('ports').map(Number) })
    : url.pathname.endsWith('/attach')
      ? await cri.runtime.attach({ containerId, ...streams })
      : await cri.runtime.exec({ containerId, cmd: url.searchParams.getAll('command'), ...streams });
  const to = new URL(target.url);
  const upstream: Socket = connect({ host: to.hostname, port: Number(to.port) });
  upstream.on('error', () => socket.destroy());
  const headers: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    headers.push(`${name}: ${name.toLowerCase() === 'host' ? to.host : (req.rawHeaders[i + 1] as string)}`);
  }
  upstream.write(`${req.method ?? 'GET'} ${to.pathname} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) upstream.write(head);
  socket.pipe(upstream).pipe(socket);
  socket.once('close', () => upstream.destroy());
  upstream.once('close', () => socket.destroy());
}

const kubectl = (args: string[], stdin = ''): ReturnType<typeof runKubectl> => runKubectl(api.url, args, stdin);

describe('kubectl exec, attach and port-forward through a real shim (runc, conmon, CNI)', needsKubectl, () => {
  useE2eShim((world) => ({ bed, cri } = world));
  beforeAll(async () => {
    const config = bed.pod('kubectl');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
    const serve = 'mkdir -p /www && echo served-in-the-pod > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www';
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('c', { command: ['sh', '-c', serve] }) });
    await cri.runtime.startContainer({ containerId });
    const shell = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('shell', { command: ['sh'], stdin: true, stdinOnce: true }) });
    await cri.runtime.startContainer({ containerId: shell.containerId });
    pod = { podSandboxId, containerId, shellId: shell.containerId };
    api = await fakeApiServer();
  });
  afterAll(async () => {
    await api?.close();
    if (pod !== undefined) {
      await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
      await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
    }
  });

  it('kubectl exec -i: stdin to its end, stdout, stderr and the exit code of a command in the container', async () => {
    const result = await kubectl(['exec', '-i', 'p', '-c', 'c', '--', 'sh', '-c', 'cat; cat /etc/hostname; echo to-stderr >&2; exit 3'], 'from kubectl\n');
    expect(result.stdout).toBe('from kubectl\nkubectl\n');
    expect(result.stderr).toContain('to-stderr\n');
    expect(result.stderr).toContain('command terminated with exit code 3');
    expect(result.code).toBe(3);
    expect(await kubectl(['exec', 'p', '-c', 'c', '--', 'echo', 'fine'])).toEqual({ code: 0, stdout: 'fine\n', stderr: '' });
  });

  it('kubectl exec -it: the command gets a terminal of kubectl\'s size', needsScript, async () => {
    const child = spawn('script', onTerminal(api.url, "exec -it p -c c -- sh -c 'sleep 0.5; tty; stty size'", { rows: 33, cols: 101 }), { timeout: 30_000 });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end();
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(out).toMatch(/\/dev\/pts\/\d+\r\n/);
    expect(out).toContain('33 101\r\n');
    expect(code).toBe(0);
  });

  it('kubectl attach -i: the container\'s shell reads kubectl\'s input; its end closes the stdin_once container\'s stdin', async () => {
    const result = await kubectl(['attach', '-i', 'p', '-c', 'shell'], 'echo attached-by-kubectl\nexit 5\n');
    expect(result.stdout).toContain('attached-by-kubectl\n');
    await vi.waitFor(async () => expect((await cri.runtime.containerStatus({ containerId: pod.shellId })).status).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 5 }), { timeout: 5000, interval: 100 });
  });

  it('kubectl port-forward reaches 127.0.0.1:8080 inside the pod\'s network namespace', async () => {
    const child = spawnKubectl(api.url, ['port-forward', 'pod/p', ':8080']);
    try {
      const local = await forwardedPort(child);
      let page = '';
      for (let i = 0; i < 20 && !page.includes('served-in-the-pod'); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 200));
        page = await new Promise<string>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port: local });
          let got = '';
          socket.on('data', (d: Buffer) => (got += d.toString()));
          socket.on('error', () => resolve(got));
          socket.on('close', () => resolve(got));
          socket.setTimeout(10_000, () => socket.destroy());
          socket.write('GET /index.html HTTP/1.0\r\n\r\n');
        });
      }
      expect(page).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
      expect(page).toContain('served-in-the-pod\n');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
    }
  });
});
