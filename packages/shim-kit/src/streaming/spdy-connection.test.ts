import { afterEach, describe, expect, it } from 'vitest';
import { SpdyConnection, type SpdyConnectionOptions } from './spdy-connection.js';
import { isSpdyError } from './spdy-error.js';
import { SpdyFlag, SpdyGoAwayStatus, SpdyRstStatus, SpdySettingId, type SpdyFrame } from './spdy-frames.js';
import type { SpdyStream } from './spdy-stream.js';
import { SpdyTestClient, listenLocal } from './spdy-test-client.test-helper.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server whose connections hand streams to `onStream`, and a connected client. */
async function setup(onStream: (s: SpdyStream) => void, options: Partial<SpdyConnectionOptions> = {}) {
  const connections: SpdyConnection[] = [];
  const listener = await listenLocal((socket) => connections.push(new SpdyConnection(socket, { onStream, ...options })));
  cleanups.push(() => listener.close());
  const client = await SpdyTestClient.connect(listener.port);
  cleanups.push(() => client.close());
  const connection = async (): Promise<SpdyConnection> => {
    for (let i = 0; i < 100 && connections.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    return connections[0] as SpdyConnection;
  };
  return { client, connection };
}

const is = <K extends SpdyFrame['kind']>(kind: K, streamId?: number) =>
  (f: SpdyFrame): f is Extract<SpdyFrame, { kind: K }> => f.kind === kind && (streamId === undefined || !('streamId' in f) || f.streamId === streamId);

function open(id: number, headers: Record<string, string>, flags = 0): SpdyFrame {
  return { kind: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: 0, slot: 0, flags, headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])) };
}

/** The stream's data until the peer's FIN (events, not `for await`, which would destroy the stream at the end). */
function collect(stream: SpdyStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.once('end', () => resolve(Buffer.concat(parts)));
    stream.once('close', () => reject(new Error(`stream ${stream.id} closed before its end`)));
  });
}

describe('SpdyConnection', () => {
  it('accepts streams with a SYN_REPLY and carries data both ways with half-close', async () => {
    const seen: Array<string | undefined> = [];
    const { client } = await setup((stream) => {
      seen.push(stream.header('streamType'));
      collect(stream).then((data) => stream.end(data.toString().toUpperCase()), () => undefined);
    });
    await client.send(open(1, { streamtype: 'stdin' }), open(3, { streamtype: 'stdout' }));
    await client.waitFor(is('SYN_REPLY', 1));
    await client.waitFor(is('SYN_REPLY', 3));
    expect(seen).toEqual(['stdin', 'stdout']);
    await client.send({ kind: 'DATA', streamId: 1, flags: 0, data: Buffer.from('hello ') }, { kind: 'DATA', streamId: 1, flags: SpdyFlag.FIN, data: Buffer.from('world') });
    expect((await client.readStream(1)).toString()).toBe('HELLO WORLD');
    // A stream opened with FIN has nothing to read: it is answered with an empty FIN at once.
    await client.send({ kind: 'DATA', streamId: 3, flags: SpdyFlag.FIN, data: Buffer.alloc(0) });
    expect((await client.readStream(3)).length).toBe(0);
  });

  it('echoes the client\'s PINGs (odd ids) only', async () => {
    const { client } = await setup(() => undefined);
    await client.send({ kind: 'PING', id: 2 }, { kind: 'PING', id: 7 });
    expect(await client.waitFor(is('PING'))).toEqual({ kind: 'PING', id: 7 });
    await client.send({ kind: 'PING', id: 9 });
    expect(await client.waitFor(is('PING'))).toEqual({ kind: 'PING', id: 9 });
  });

  it('sends WINDOW_UPDATEs for the stream and the session as data is consumed', async () => {
    const received: Buffer[] = [];
    const { client } = await setup((stream) => stream.on('data', (c: Buffer) => received.push(c)));
    await client.send(open(1, {}), { kind: 'DATA', streamId: 1, flags: 0, data: Buffer.alloc(40 * 1024, 1) });
    const stream = await client.waitFor(is('WINDOW_UPDATE', 1));
    const session = await client.waitFor((f) => f.kind === 'WINDOW_UPDATE' && f.streamId === 0);
    expect(stream.delta).toBeGreaterThanOrEqual(16 * 1024);
    expect(session).toMatchObject({ delta: stream.delta });
    expect(Buffer.concat(received).length).toBe(40 * 1024);
  });

  it('with enforceSendWindow, sends no more than the window until the peer opens it', async () => {
    const payload = Buffer.alloc(200 * 1024, 7);
    const { client } = await setup((stream) => stream.end(payload), { enforceSendWindow: true });
    await client.send(open(1, {}, SpdyFlag.FIN));
    const got = async (bytes: number): Promise<void> => {
      let total = 0;
      while (total < bytes) total += (await client.waitFor(is('DATA', 1))).data.length;
      expect(total).toBe(bytes);
    };
    await got(64 * 1024);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.frames.filter((f) => f.kind === 'DATA')).toEqual([]);
    // Opening only the stream window is not enough: the session window is closed too.
    await client.send({ kind: 'WINDOW_UPDATE', streamId: 1, delta: 200 * 1024 });
    await new Promise((r) => setTimeout(r, 100));
    expect(client.frames.filter((f) => f.kind === 'DATA')).toEqual([]);
    await client.send({ kind: 'WINDOW_UPDATE', streamId: 0, delta: 100 * 1024 });
    await got(100 * 1024);
    await client.send({ kind: 'WINDOW_UPDATE', streamId: 0, delta: 100 * 1024 });
    expect((await client.readStream(1)).length).toBe(36 * 1024);
  });

  it('with enforceSendWindow, follows SETTINGS INITIAL_WINDOW_SIZE', async () => {
    const { client } = await setup((stream) => stream.end(Buffer.alloc(5000, 1)), { enforceSendWindow: true });
    await client.send({ kind: 'SETTINGS', flags: 0, settings: [{ id: SpdySettingId.INITIAL_WINDOW_SIZE, flags: 0, value: 1000 }] }, open(1, {}, SpdyFlag.FIN));
    expect((await client.waitFor(is('DATA', 1))).data.length).toBe(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.frames.filter((f) => f.kind === 'DATA')).toEqual([]);
    await client.send({ kind: 'WINDOW_UPDATE', streamId: 1, delta: 4000 });
    expect((await client.readStream(1)).length).toBe(4000);
  });

  it('without enforceSendWindow (kubelet\'s spdystream clients send no WINDOW_UPDATE), sends everything', async () => {
    const { client } = await setup((stream) => stream.end(Buffer.alloc(300 * 1024, 2)));
    await client.send(open(1, {}, SpdyFlag.FIN));
    expect((await client.readStream(1)).length).toBe(300 * 1024);
  });

  it('stops reading the socket while a stream\'s reader lags, then delivers everything', async () => {
    const streams: SpdyStream[] = [];
    const { client } = await setup((stream) => streams.push(stream));
    await client.send(open(1, {}));
    await client.waitFor(is('SYN_REPLY', 1));
    const frames: SpdyFrame[] = [];
    for (let i = 0; i < 64; i++) frames.push({ kind: 'DATA', streamId: 1, flags: i === 63 ? SpdyFlag.FIN : 0, data: Buffer.alloc(16 * 1024, i) });
    await client.send(...frames);
    await new Promise((r) => setTimeout(r, 300));
    const stream = streams[0] as SpdyStream;
    // Bounded by the stream's high-water mark plus what the socket had already delivered, not 1 MiB.
    expect(stream.readableLength).toBeLessThan(512 * 1024);
    const data = await collect(stream);
    expect(data.length).toBe(1024 * 1024);
    expect(data[data.length - 1]).toBe(63);
  });

  it('fails writes on a stream whose connection is gone', async () => {
    const streams: SpdyStream[] = [];
    const { client } = await setup((stream) => streams.push(stream));
    await client.send(open(1, {}));
    await client.waitFor(is('SYN_REPLY', 1));
    client.close();
    const stream = streams[0] as SpdyStream;
    await new Promise((r) => stream.once('close', r));
    expect(stream.destroyed).toBe(true);
    const error = await new Promise<Error | null | undefined>((resolve) => stream.write('late', resolve));
    expect(error).toBeInstanceOf(Error);
  });

  it('handles resets both ways and answers DATA for unknown streams with INVALID_STREAM', async () => {
    const streams: SpdyStream[] = [];
    const { client } = await setup((stream) => streams.push(stream));
    await client.send(open(1, {}), open(3, {}));
    await client.waitFor(is('SYN_REPLY', 3));
    const [first, second] = streams as [SpdyStream, SpdyStream];
    const firstClosed = new Promise((r) => first.once('close', r));
    await client.send({ kind: 'RST_STREAM', streamId: 1, status: SpdyRstStatus.CANCEL });
    await firstClosed;
    expect(first.resetStatus).toBe(SpdyRstStatus.CANCEL);
    second.destroy();
    expect(await client.waitFor(is('RST_STREAM', 3))).toMatchObject({ status: SpdyRstStatus.CANCEL });
    await client.send({ kind: 'DATA', streamId: 5, flags: 0, data: Buffer.from('x') });
    expect(await client.waitFor(is('RST_STREAM', 5))).toMatchObject({ status: SpdyRstStatus.INVALID_STREAM });
  });

  it('refuses unidirectional streams and streams opened after GOAWAY; close() says GOAWAY and closes', async () => {
    const { client, connection } = await setup(() => undefined);
    await client.send(open(1, {}, SpdyFlag.UNIDIRECTIONAL), open(3, {}));
    expect(await client.waitFor(is('RST_STREAM', 1))).toMatchObject({ status: SpdyRstStatus.REFUSED_STREAM });
    await client.waitFor(is('SYN_REPLY', 3));
    const conn = await connection();
    await conn.goAway();
    expect(await client.waitFor(is('GOAWAY'))).toEqual({ kind: 'GOAWAY', lastGoodStreamId: 3, status: SpdyGoAwayStatus.OK });
    await client.send(open(5, {}));
    expect(await client.waitFor(is('RST_STREAM', 5))).toMatchObject({ status: SpdyRstStatus.REFUSED_STREAM });
    await conn.close();
    await client.closed;
    expect(conn.streamCount).toBe(0);
  });

  it('ends the session with GOAWAY PROTOCOL_ERROR on a bad stream id or malformed bytes', async () => {
    for (const bad of [
      (c: SpdyTestClient) => c.send(open(2, {})),
      async (c: SpdyTestClient) => void c.socket.write(Buffer.from('8002000600000004000000001', 'hex')),
    ]) {
      const { client, connection } = await setup(() => undefined);
      await bad(client);
      expect(await client.waitFor(is('GOAWAY'))).toMatchObject({ status: SpdyGoAwayStatus.PROTOCOL_ERROR });
      await client.closed;
      expect(isSpdyError((await connection()).failure)).toBe(true);
    }
  });
});
