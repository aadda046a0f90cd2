import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HostHelper } from '@shimkit/host-helper';
import { afterEach, describe, expect, it } from 'vitest';
import { netnsPortForwarder, type PortForwarder } from '../port-forwarder.js';
import { forwardOnce } from '../spdy-exec-client.test-helper.js';
import { listenLocal, SpdyTestClient } from '../spdy-test-client.test-helper.js';
import { acceptWebSocketPortForward, portsFromQuery, type WebSocketPortForwardOptions, type WebSocketPortForwardSession } from './websocket-port-forward.js';
import { ChannelTestClient, rawRequest, rawWebSocket, upgradeHeaders, upgradeServer } from './websocket-test-client.test-helper.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const target = { podSandboxId: 'pod-1' }; // no netns: connects on the host

/** A server whose every upgrade goes to acceptWebSocketPortForward; sessions[i] is undefined for a refused request. */
async function serve(options: Partial<WebSocketPortForwardOptions> = {}): Promise<{ baseUrl: string; sessions: Array<WebSocketPortForwardSession | undefined> }> {
  const sessions: Array<WebSocketPortForwardSession | undefined> = [];
  const server = await upgradeServer((req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const session = acceptWebSocketPortForward(req, socket, head, { target, forward: netnsPortForwarder(new HostHelper()), ...options });
    sessions.push(session);
    if (session) cleanups.push(() => session.close());
  });
  cleanups.push(() => server.close());
  return { baseUrl: server.baseUrl, sessions };
}

/** A TCP echo server on 127.0.0.1 that closes a connection after echoing "bye". */
async function echoServer(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = await listenLocal((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      socket.write(d);
      if (d.toString().includes('bye')) socket.end();
    });
  });
  cleanups.push(() => server.close());
  return { port: server.port, sockets };
}

async function client(url: string, protocols: string[], encoding: 'binary' | 'base64' = 'binary'): Promise<ChannelTestClient> {
  const c = await ChannelTestClient.connect(url, protocols, encoding);
  cleanups.push(() => c.ws.terminate());
  return c;
}

const le = (port: number): Buffer => Buffer.of(port & 0xff, port >> 8);

describe('acceptWebSocketPortForward', () => {
  it('v4.channel.k8s.io: announces the port on both channels, relays the data channel to the port, ends when the pod side closes', async () => {
    const echo = await echoServer();
    const server = await serve();
    const c = await client(`${server.baseUrl}/portforward/x?port=${echo.port}`, ['v4.channel.k8s.io']);
    expect(c.ws.protocol).toBe('v4.channel.k8s.io');
    await c.until(() => c.messages.length >= 2);
    expect(c.messages.slice(0, 2)).toEqual([
      { channel: 0, data: le(echo.port), binary: true },
      { channel: 1, data: le(echo.port), binary: true },
    ]);
    c.send(0, 'hello ');
    await c.until(() => c.received(0).toString().endsWith('hello '));
    c.send(0, 'bye');
    expect(await c.closed).toEqual({ code: 1000, reason: '' });
    expect(c.received(0).subarray(2).toString()).toBe('hello bye');
    expect(c.received(1)).toEqual(le(echo.port)); // no error
    await server.sessions[0]?.closed;
    expect(server.sessions[0]?.ports).toEqual([echo.port]);
  });

  it('v4.base64.channel.k8s.io with two ports: channels 0-3, each port relayed on its own', async () => {
    const a = await echoServer();
    const b = await echoServer();
    const server = await serve();
    const c = await client(`${server.baseUrl}/portforward/x?port=${a.port},${b.port}`, ['v4.base64.channel.k8s.io'], 'base64');
    await c.until(() => c.messages.length >= 4);
    expect(c.messages.slice(0, 4).map((m) => [m.channel, m.data, m.binary])).toEqual([
      [0, le(a.port), false], [1, le(a.port), false], [2, le(b.port), false], [3, le(b.port), false],
    ]);
    c.send(0, 'to a');
    c.send(2, 'to b');
    await c.until(() => c.received(0).length === 6 && c.received(2).length === 6);
    expect(c.received(0).subarray(2).toString()).toBe('to a');
    expect(c.received(2).subarray(2).toString()).toBe('to b');
    c.send(0, 'bye');
    c.send(2, 'bye');
    expect((await c.closed).code).toBe(1000);
  });

  it('accepts no subprotocol (binary) and takes the ports of the CRI request over the query', async () => {
    const echo = await echoServer();
    const server = await serve({ ports: [echo.port] });
    const c = await client(`${server.baseUrl}/portforward/x?port=1`, []);
    await c.until(() => c.messages.length >= 2);
    expect(c.messages[0]).toEqual({ channel: 0, data: le(echo.port), binary: true });
    c.send(0, 'bye');
    await c.closed;
    expect(c.received(0).subarray(2).toString()).toBe('bye');
  });

  it('writes the failure as text on the error channel when forward() rejects, then ends', async () => {
    const free = await listenLocal(() => undefined);
    const port = free.port;
    await free.close(); // nothing listens there any more
    const server = await serve();
    const c = await client(`${server.baseUrl}/portforward/x?port=${port}`, ['v4.channel.k8s.io']);
    expect((await c.closed).code).toBe(1000);
    expect(c.received(1).subarray(0, 2)).toEqual(le(port));
    expect(c.received(1).subarray(2).toString()).toMatch(new RegExp(`^error forwarding port ${port} to pod pod-1: connecting to port ${port}: .*ECONNREFUSED`));
    expect(c.received(0)).toEqual(le(port));

    const failing: PortForwarder = () => Promise.reject(new Error('no such pod'));
    const other = await serve({ forward: failing });
    const d = await client(`${other.baseUrl}/portforward/x?port=80`, ['v4.channel.k8s.io']);
    await d.closed;
    expect(d.received(1).subarray(2).toString()).toBe('error forwarding port 80 to pod pod-1: no such pod');
  });

  it('drops the pod connection when the client goes away, and on close()', async () => {
    const echo = await echoServer();
    const server = await serve();
    const c = await client(`${server.baseUrl}/portforward/x?port=${echo.port}`, ['v4.channel.k8s.io']);
    c.send(0, 'x');
    await c.until(() => c.received(0).length === 3);
    const podSide = echo.sockets[0] as Socket;
    const podClosed = new Promise((r) => podSide.once('close', r));
    c.ws.terminate();
    await server.sessions[0]?.closed;
    await podClosed;

    const d = await client(`${server.baseUrl}/portforward/x?port=${echo.port}`, ['v4.channel.k8s.io']);
    d.send(0, 'y');
    await d.until(() => d.received(0).length === 3);
    const second = echo.sockets[1] as Socket;
    const secondClosed = new Promise((r) => second.once('close', r));
    await server.sessions[1]?.close();
    expect((await d.closed).code).toBe(1000);
    await secondClosed;
  });

  it('refuses a missing or bad port (400) and protocols kubelet does not serve for port forward (403)', async () => {
    const server = await serve();
    const none = await rawRequest(server.baseUrl, upgradeHeaders({ 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io' }), 'GET', '/portforward/x');
    expect(none.status).toBe(400);
    expect(none.body).toBe('query parameter "port" is required\n');
    const bad = await rawRequest(server.baseUrl, upgradeHeaders(), 'GET', '/portforward/x?port=80,http');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/unable to parse "http" in query parameter "port" as a port/);
    const spdyName = await rawRequest(server.baseUrl, upgradeHeaders({ 'Sec-WebSocket-Protocol': 'portforward.k8s.io, v5.channel.k8s.io' }), 'GET', '/portforward/x?port=80');
    expect(spdyName.status).toBe(403);
    expect(spdyName.body).toBe('unable to negotiate a subprotocol: client offered [portforward.k8s.io, v5.channel.k8s.io], server supports [v4.channel.k8s.io, v4.base64.channel.k8s.io, SPDY/3.1+portforward.k8s.io]\n');
    const notWs = await rawRequest(server.baseUrl, { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' }, 'POST', '/portforward/x?port=80');
    expect(notWs.status).toBe(400);
    expect(server.sessions).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('acceptWebSocketPortForward over SPDY/3.1+portforward.k8s.io (client-go\'s WebSocket dialer)', () => {
  it('serves portforward.k8s.io stream pairs on the SPDY session tunnelled in binary messages', async () => {
    const echo = await echoServer();
    const server = await serve();
    const { stream, accepted } = await rawWebSocket(`${server.baseUrl}/portforward/x`, 'SPDY/3.1+portforward.k8s.io');
    expect(accepted).toBe('SPDY/3.1+portforward.k8s.io');
    expect(server.sessions[0]?.protocol).toBe('SPDY/3.1+portforward.k8s.io');
    const spdy = SpdyTestClient.fromSocket(stream as unknown as Socket);
    cleanups.push(() => spdy.close());
    expect(await forwardOnce(spdy, { port: echo.port, requestId: 0, firstStreamId: 1, payload: 'through the tunnel' })).toEqual({ data: 'through the tunnel', error: '' });
    const failed = await forwardOnce(spdy, { port: 1, requestId: 1, firstStreamId: 5, payload: 'x' });
    expect(failed.error).toMatch(/^error forwarding port 1 to pod pod-1: connecting to port 1: /);
    await server.sessions[0]?.close();
    await server.sessions[0]?.closed;
    await spdy.closed;
  });
});

describe('portsFromQuery', () => {
  it('reads repeated and comma-separated port parameters as kubelet does, naming what is wrong', () => {
    expect(portsFromQuery('/pf?port=80&port=443,8080')).toEqual([80, 443, 8080]);
    expect(portsFromQuery('/pf')).toBe('query parameter "port" is required');
    expect(portsFromQuery('/pf?port=')).toBe('query parameter "port" cannot be empty');
    expect(portsFromQuery('/pf?port=0')).toBe('port "0" must be > 0');
    expect(portsFromQuery('/pf?port=65536')).toBe('unable to parse "65536" in query parameter "port" as a port');
    expect(portsFromQuery('/pf?port=-1')).toBe('unable to parse "-1" in query parameter "port" as a port');
    expect(portsFromQuery(`/pf?port=${Array.from({ length: 128 }, (_v, i) => i + 1).join(',')}`)).toBe('at most 127 ports can be forwarded over one WebSocket, got 128');
  });
});
