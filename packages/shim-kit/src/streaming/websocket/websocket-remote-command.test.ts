import type { IncomingMessage } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isShimError } from '../../errors.js';
import { processExecRunner } from '../exec-runner.js';
import { exitStatus, internalErrorStatus } from '../exec-status.js';
import type { RemoteCommandOptions, RemoteCommandSession, RemoteCommandStreams } from '../remote-command.js';
import { acceptWebSocketRemoteCommand, type WebSocketRemoteCommandOptions } from './websocket-remote-command.js';
import { ChannelTestClient, rawRequest, upgradeHeaders, upgradeServer } from './websocket-test-client.test-helper.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Served {
  baseUrl: string;
  /** The sessions accepted so far (undefined for refused requests), in order. */
  sessions: Array<RemoteCommandSession | undefined>;
  next(): Promise<RemoteCommandSession>;
}

/** A server whose every upgrade goes to acceptWebSocketRemoteCommand with `options`. */
async function serve(options: Partial<WebSocketRemoteCommandOptions> = {}): Promise<Served> {
  const sessions: Array<RemoteCommandSession | undefined> = [];
  let wake = (): void => undefined;
  const all: WebSocketRemoteCommandOptions = { stdin: false, stdout: true, stderr: false, tty: false, ...options };
  const server = await upgradeServer((req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const session = acceptWebSocketRemoteCommand(req, socket, head, all);
    sessions.push(session);
    if (session) cleanups.push(() => session.close());
    wake();
  });
  cleanups.push(() => server.close());
  return {
    baseUrl: server.baseUrl,
    sessions,
    next: async () => {
      for (let i = 0; i < 100 && sessions.length === 0; i++) await new Promise<void>((r) => (wake = r));
      const s = sessions.shift();
      if (!s) throw new Error('request refused');
      return s;
    },
  };
}

async function client(baseUrl: string, protocols: string[], encoding: 'binary' | 'base64' = 'binary'): Promise<ChannelTestClient> {
  const c = await ChannelTestClient.connect(`${baseUrl}/exec/x`, protocols, encoding);
  cleanups.push(() => c.ws.terminate());
  return c;
}

/** Runs `cmd` with the session's streams as the lead's generic exec does: status on the error stream, then close. */
async function runShell(session: RemoteCommandSession, request: RemoteCommandOptions, script: string): Promise<number> {
  const streams = await session.streams;
  const controller = new AbortController();
  void session.closed.then(() => controller.abort());
  let code = -1;
  let status;
  try {
    code = await processExecRunner(() => ['/bin/sh', '-c', script])({ containerId: 'c', cmd: ['sh'], ...request }, streams, controller.signal);
    status = exitStatus(code);
  } catch (e) {
    status = internalErrorStatus((e as Error).message);
  }
  await new Promise<void>((resolve) => streams.error.end(JSON.stringify(status), resolve));
  await session.close();
  return code;
}

const S = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 };

describe('acceptWebSocketRemoteCommand', () => {
  it('v5.channel.k8s.io: stdin until the close signal, stdout, stderr, exit status as metav1.Status JSON, then a normal close', async () => {
    const request = { stdin: true, stdout: true, stderr: true, tty: false };
    const server = await serve(request);
    const c = await client(server.baseUrl, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    expect(c.ws.protocol).toBe('v5.channel.k8s.io');
    const session = await server.next();
    const ran = runShell(session, request, 'cat; echo oops >&2; exit 3');
    await c.until(() => c.messages.length > 0);
    expect(c.messages[0]).toEqual({ channel: S.stdout, data: Buffer.alloc(0), binary: true }); // kubelet's "session is set up" message
    c.send(S.stdin, 'hello ');
    c.send(S.stdin, 'websocket');
    c.ws.send(Buffer.of(255, S.stdin)); // half-close stdin: cat exits
    expect(await ran).toBe(3);
    expect(await c.closed).toEqual({ code: 1000, reason: '' });
    expect(c.received(S.stdout).toString()).toBe('hello websocket');
    expect(c.received(S.stderr).toString()).toBe('oops\n');
    expect(c.messages.filter((m) => m.channel === S.error)).toHaveLength(1);
    expect(JSON.parse(c.received(S.error).toString())).toEqual(exitStatus(3));
    await session.closed;
  });

  it('v4.channel.k8s.io: binary channels and the JSON status (Success)', async () => {
    const request = { stdin: true, stdout: true, stderr: false, tty: false };
    const server = await serve(request);
    const c = await client(server.baseUrl, ['v4.channel.k8s.io']);
    expect(c.ws.protocol).toBe('v4.channel.k8s.io');
    const ran = runShell(await server.next(), request, 'head -c 5');
    c.send(S.stdin, '12345');
    expect(await ran).toBe(0);
    await c.closed;
    expect(c.received(S.stdout).toString()).toBe('12345');
    expect(JSON.parse(c.received(S.error).toString())).toEqual({ metadata: {}, status: 'Success' });
    expect(c.messages.every((m) => m.binary)).toBe(true);
  });

  it('v4.base64.channel.k8s.io: text messages of a channel digit and base64, both ways', async () => {
    const request = { stdin: true, stdout: true, stderr: true, tty: false };
    const server = await serve(request);
    const c = await client(server.baseUrl, ['v4.base64.channel.k8s.io'], 'base64');
    expect(c.ws.protocol).toBe('v4.base64.channel.k8s.io');
    const raw: string[] = [];
    c.ws.on('message', (d: Buffer) => raw.push(d.toString()));
    await c.until(() => c.messages.length > 0);
    expect(c.messages[0]).toEqual({ channel: S.stdout, data: Buffer.alloc(0), binary: false }); // kubelet's empty first message, as text "1"
    const ran = runShell(await server.next(), request, 'head -c 3; printf "\\377err" >&2; exit 1');
    c.send(S.stdin, Buffer.from([0xff, 0x00, 0x41]));
    expect(await ran).toBe(1);
    await c.closed;
    expect(c.messages.every((m) => !m.binary)).toBe(true);
    expect(raw).toContain(`1${Buffer.from([0xff, 0x00, 0x41]).toString('base64')}`);
    expect(c.received(S.stdout)).toEqual(Buffer.from([0xff, 0x00, 0x41]));
    expect(c.received(S.stderr)).toEqual(Buffer.concat([Buffer.of(0xff), Buffer.from('err')]));
    expect(JSON.parse(c.received(S.error).toString())).toEqual(exitStatus(1));
  });

  it('channel.k8s.io (unversioned): only a failure\'s message on the error channel, nothing on success', async () => {
    const request = { stdin: false, stdout: true, stderr: false, tty: false };
    const server = await serve(request);
    const failing = await client(server.baseUrl, ['channel.k8s.io']);
    expect(await runShell(await server.next(), request, 'printf out; exit 7')).toBe(7);
    await failing.closed;
    expect(failing.received(S.stdout).toString()).toBe('out');
    expect(failing.received(S.error).toString()).toBe('command terminated with non-zero exit code: 7');

    const ok = await client(server.baseUrl, ['channel.k8s.io']);
    expect(await runShell(await server.next(), request, 'exit 0')).toBe(0);
    await ok.closed;
    expect(ok.messages.filter((m) => m.channel === S.error)).toEqual([]);
  });

  it('base64.channel.k8s.io (unversioned, base64)', async () => {
    const request = { stdin: false, stdout: false, stderr: true, tty: false };
    const server = await serve(request);
    const c = await client(server.baseUrl, ['base64.channel.k8s.io'], 'base64');
    const ran = runShell(await server.next(), request, 'echo bad >&2; exit 2');
    expect(await ran).toBe(2);
    await c.closed;
    expect(c.messages[0]).toEqual({ channel: S.stderr, data: Buffer.alloc(0), binary: false }); // no stdout: the empty message goes to stderr
    expect(c.received(S.stderr).toString()).toBe('bad\n');
    expect(c.received(S.error).toString()).toBe('command terminated with non-zero exit code: 2');
  });

  it('without a subprotocol speaks binary channels with the unversioned status, as kubelet does', async () => {
    const request = { stdin: false, stdout: false, stderr: false, tty: false };
    const server = await serve(request);
    const c = await client(server.baseUrl, []);
    expect(c.ws.protocol).toBe('');
    const session = await server.next();
    await session.streams;
    await c.until(() => c.messages.length > 0);
    expect(c.messages[0]).toEqual({ channel: S.error, data: Buffer.alloc(0), binary: true }); // neither stdout nor stderr: the error channel
    const streams = await session.streams;
    streams.error.end(JSON.stringify(internalErrorStatus('boom')));
    await session.close(); // sends the status first, without waiting for 'finish' here
    await c.closed;
    expect(c.received(S.error).toString()).toBe('Internal error occurred: boom');
  });

  it('picks the first offered protocol it supports, in the client\'s order', async () => {
    const server = await serve();
    const c = await client(server.baseUrl, ['x.example.io', 'channel.k8s.io', 'v5.channel.k8s.io']);
    expect(c.ws.protocol).toBe('channel.k8s.io');
    const d = await client(server.baseUrl, ['v4.base64.channel.k8s.io', 'v4.channel.k8s.io'], 'base64');
    expect(d.ws.protocol).toBe('v4.base64.channel.k8s.io');
  });

  it('delivers terminal sizes on the resize channel for a tty, and drops them (and unrequested stdin) otherwise', async () => {
    const tty = await serve({ stdin: false, stdout: true, tty: true });
    const c = await client(tty.baseUrl, ['v5.channel.k8s.io']);
    const streams = await (await tty.next()).streams;
    expect(streams.stdin).toBeUndefined();
    const resize = streams.resize as Readable;
    c.send(S.stdin, 'ignored');
    c.send(S.resize, '{"Width":80,"Height":24}');
    c.send(S.resize, '{"Width":100,"Height":40}');
    c.ws.send(Buffer.of(255, S.resize));
    const chunks: Buffer[] = [];
    for await (const chunk of resize) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"Width":80,"Height":24}{"Width":100,"Height":40}');

    const plain = await serve({ stdin: true, stdout: true, tty: false });
    const p = await client(plain.baseUrl, ['v5.channel.k8s.io']);
    const plainStreams: RemoteCommandStreams = await (await plain.next()).streams;
    expect(plainStreams.resize).toBeUndefined();
    p.send(S.resize, '{"Width":1,"Height":1}');
    p.send(S.stdin, 'in');
    p.ws.send(Buffer.of(255, S.stdin));
    const got: Buffer[] = [];
    for await (const chunk of plainStreams.stdin as Readable) got.push(chunk as Buffer);
    expect(Buffer.concat(got).toString()).toBe('in');
  });

  it('ends stdin, resolves closed and aborts the command when the client goes away', async () => {
    const request = { stdin: true, stdout: true, stderr: false, tty: false };
    const server = await serve(request);
    const c = await client(server.baseUrl, ['v4.channel.k8s.io']);
    const session = await server.next();
    const streams = await session.streams;
    const stdinEnded = new Promise((r) => (streams.stdin as Readable).once('end', r));
    (streams.stdin as Readable).resume();
    const stdoutClosed = new Promise((r) => (streams.stdout as NodeJS.WritableStream & Duplex).once('close', r));
    const ran = runShell(session, request, 'exec sleep 30');
    await new Promise((r) => setTimeout(r, 100));
    c.ws.terminate();
    await session.closed;
    await stdinEnded;
    await stdoutClosed;
    expect(await ran).toBe(137); // killed on abort
  });

  it('refuses what is not a WebSocket upgrade, a bad key or version, and unknown subprotocols, naming what was wrong', async () => {
    const server = await serve();
    const spdy = await rawRequest(server.baseUrl, { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' }, 'POST');
    expect(spdy.status).toBe(400);
    expect(spdy.body).toMatch(/not a WebSocket upgrade: Upgrade is "SPDY\/3.1"/);
    const post = await rawRequest(server.baseUrl, upgradeHeaders(), 'POST');
    expect(post.status).toBe(400);
    expect(post.body).toMatch(/must be a GET request, not POST/);
    const key = await rawRequest(server.baseUrl, upgradeHeaders({ 'Sec-WebSocket-Key': 'short' }));
    expect(key.status).toBe(400);
    expect(key.body).toMatch(/invalid Sec-WebSocket-Key "short"/);
    const version = await rawRequest(server.baseUrl, upgradeHeaders({ 'Sec-WebSocket-Version': '8' }));
    expect(version.status).toBe(400);
    expect(version.head).toMatch(/\r\nSec-WebSocket-Version: 13/);
    expect(version.body).toMatch(/unsupported Sec-WebSocket-Version "8"/);
    const unknown = await rawRequest(server.baseUrl, upgradeHeaders({ 'Sec-WebSocket-Protocol': 'v3.channel.k8s.io, portforward.k8s.io' }));
    expect(unknown.status).toBe(403);
    expect(unknown.body).toBe(
      'unable to negotiate a subprotocol: client offered [v3.channel.k8s.io, portforward.k8s.io], server supports [v5.channel.k8s.io, v4.channel.k8s.io, v4.base64.channel.k8s.io, channel.k8s.io, base64.channel.k8s.io]\n',
    );
    expect(server.sessions).toEqual([undefined, undefined, undefined, undefined, undefined]);

    // What a ws client sees.
    const ws = new WebSocket(`${server.baseUrl}/exec/x`, ['v2.channel.k8s.io']);
    ws.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    ws.terminate();
    expect(status).toBe(403);
  });

  it('closes the connection on protocol errors: a malformed close signal (1002), invalid base64 (1007), a message over maxPayload (1009)', async () => {
    const server = await serve({ stdin: true, maxPayload: 1024 });
    const signal = await client(server.baseUrl, ['v5.channel.k8s.io']);
    const s1 = await server.next();
    signal.ws.send(Buffer.of(255, 0, 1));
    expect((await signal.closed).code).toBe(1002);
    await s1.closed;

    const base64 = await client(server.baseUrl, ['v4.base64.channel.k8s.io'], 'base64');
    const s2 = await server.next();
    base64.ws.send('0not base64!');
    expect(await base64.closed).toEqual({ code: 1007, reason: 'invalid base64 in a message on channel 0' });
    await s2.closed;

    const big = await client(server.baseUrl, ['v4.channel.k8s.io']);
    const s3 = await server.next();
    big.send(S.stdin, Buffer.alloc(2048));
    expect((await big.closed).code).toBe(1009);
    await s3.closed;
  });

  it('closes an idle connection (idleTimeoutMs)', async () => {
    const server = await serve({ idleTimeoutMs: 300 });
    const c = await client(server.baseUrl, ['v4.channel.k8s.io']);
    const session = await server.next();
    expect((await c.closed).code).toBe(1001);
    await session.closed;
  });

  it('rejects streams (and resolves closed) when the connection is gone before the handshake completes', async () => {
    const sessions: RemoteCommandSession[] = [];
    const server = await upgradeServer((req, socket, head) => {
      socket.destroy(); // the client is gone by the time the request is dispatched
      const session = acceptWebSocketRemoteCommand(req, socket, head, { stdin: false, stdout: true, stderr: false, tty: false });
      if (session) sessions.push(session);
    });
    cleanups.push(() => server.close());
    const ws = new WebSocket(`${server.baseUrl}/exec/x`, ['v5.channel.k8s.io']);
    ws.on('error', () => undefined);
    await new Promise((r) => ws.once('close', r));
    expect(sessions).toHaveLength(1);
    const session = sessions[0] as RemoteCommandSession;
    await expect(session.streams).rejects.toSatisfy((e: unknown) => isShimError(e, 'Unavailable') && /closed during the WebSocket handshake/.test((e as Error).message));
    await session.closed;
    await session.close();
  });

  it('does not buffer without bound: stdout writes wait for a slow client, stdin pauses the socket while nobody reads it', async () => {
    const request = { stdin: true, stdout: true, stderr: false, tty: false };
    const server = await serve({ ...request, maxPayload: 4 * 1024 * 1024 });
    const c = await client(server.baseUrl, ['v5.channel.k8s.io']);
    const streams = await (await server.next()).streams;
    // Server -> slow client.
    c.ws.pause();
    const total = 32 * 1024 * 1024;
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        produced += 256 * 1024;
        this.push(Buffer.alloc(256 * 1024, 7));
      },
    });
    source.pipe(streams.stdout as NodeJS.WritableStream);
    await new Promise((r) => setTimeout(r, 500));
    expect(produced).toBeLessThan(total / 2); // socket buffers and one writable's worth, not everything
    c.ws.resume();
    await c.until(() => c.bytes(S.stdout) === total, 'all stdout');

    // Client -> server that does not read stdin.
    const stdin = streams.stdin as Readable;
    const chunk = Buffer.alloc(256 * 1024, 1);
    for (let i = 0; i < 64; i++) c.send(S.stdin, chunk);
    await new Promise((r) => setTimeout(r, 500));
    expect(stdin.readableLength).toBeLessThan(4 * 1024 * 1024);
    expect(c.ws.bufferedAmount).toBeGreaterThan(0); // the client's sends back up
    let read = 0;
    stdin.on('data', (d: Buffer) => (read += d.length));
    for (let i = 0; i < 200 && read < 64 * chunk.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(read).toBe(64 * chunk.length);
  });
});
