import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/** An HTTP server on 127.0.0.1:0 that hands every upgrade request to `onUpgrade`; `close()` drops its connections too. */
export async function upgradeServer(onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): Promise<{ server: Server; baseUrl: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', onUpgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    server,
    baseUrl: `ws://127.0.0.1:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One message as the client received it, decoded per the protocol's encoding. */
export interface ChannelMessage {
  channel: number;
  data: Buffer;
  /** Whether it came as a binary frame (else text). */
  binary: boolean;
}

/** A Kubernetes channel-protocol client on `ws` (an implementation independent of the server's) that records what it receives. */
export class ChannelTestClient {
  readonly messages: ChannelMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket, readonly encoding: 'binary' | 'base64') {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      this.wake();
    }));
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, binary) => {
      if (encoding === 'base64') this.messages.push({ channel: (data[0] as number) - 48, data: Buffer.from(data.subarray(1).toString(), 'base64'), binary });
      else this.messages.push({ channel: data[0] as number, data: data.subarray(1), binary });
      this.wake();
    });
  }

  /** Opens a WebSocket to `url` offering `protocols`; resolves once it is open. */
  static async connect(url: string, protocols: string[], encoding: 'binary' | 'base64' = 'binary'): Promise<ChannelTestClient> {
    const ws = new WebSocket(url, protocols);
    const client = new ChannelTestClient(ws, encoding);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return client;
  }

  send(channel: number, data: Buffer | string): void {
    const bytes = Buffer.from(data);
    if (this.encoding === 'base64') this.ws.send(String.fromCharCode(48 + channel) + bytes.toString('base64'));
    else this.ws.send(Buffer.concat([Buffer.of(channel), bytes]));
  }

  /** Everything received on `channel` so far. */
  received(channel: number): Buffer {
    return Buffer.concat(this.messages.filter((m) => m.channel === channel).map((m) => m.data));
  }

  /** How many bytes came on `channel` so far. */
  bytes(channel: number): number {
    let n = 0;
    for (const m of this.messages) if (m.channel === channel) n += m.data.length;
    return n;
  }

  /** Waits (at most 10 s) until `ready()` holds, checking after every message and at close. */
  async until(ready: () => boolean, what = 'condition'): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`${what} not met in 10 s; got ${JSON.stringify(this.messages.map((m) => [m.channel, m.data.toString()]))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Sends a raw HTTP request with `headers` and reads the whole answer (for refused handshakes). */
export async function rawRequest(baseUrl: string, headers: Record<string, string>, method = 'GET', path = '/'): Promise<{ status: number; head: string; body: string }> {
  const u = new URL(baseUrl);
  const socket: Socket = connect({ host: u.hostname, port: Number(u.port) });
  socket.on('error', () => undefined);
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((resolve) => socket.once('close', resolve));
  const text = Buffer.concat(chunks).toString();
  const at = text.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), head: text.slice(0, at), body: text.slice(at + 4) };
}

/** The headers of a valid WebSocket upgrade, with `extra` added or replaced. */
export function upgradeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', ...extra };
}

/**
 * A minimal RFC 6455 client for subprotocol names `ws` will not send (`SPDY/3.1+portforward.k8s.io`
 * is no RFC 7230 token): upgrades with `protocol` and returns the bytes of the binary messages as a
 * Duplex (writes go out as masked binary messages; pings are answered; a close frame ends it).
 */
export async function rawWebSocket(url: string, protocol: string): Promise<{ stream: Duplex; accepted: string | undefined }> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  socket.on('error', () => undefined);
  socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${Object.entries(upgradeHeaders({ 'Sec-WebSocket-Protocol': protocol })).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  let buffer = Buffer.alloc(0);
  const head = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const at = buffer.indexOf('\r\n\r\n');
      if (at < 0) return;
      socket.off('data', onData);
      const text = buffer.subarray(0, at).toString();
      buffer = buffer.subarray(at + 4);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during the handshake')));
  });
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`handshake answered ${head}`);
  const frame = (opcode: number, payload: Buffer): Buffer => {
    const mask = Buffer.of(1, 2, 3, 4);
    const size = payload.length < 126 ? Buffer.of(0x80 | payload.length) : payload.length < 65536 ? Buffer.of(0x80 | 126, payload.length >> 8, payload.length & 0xff) : Buffer.concat([Buffer.of(0x80 | 127), (() => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(payload.length));
      return b;
    })()]);
    return Buffer.concat([Buffer.of(0x80 | opcode), size, mask, Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)))]);
  };
  const stream = new PassThroughDuplex((data) => socket.write(frame(2, data)), () => socket.destroy());
  const parse = (): void => {
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = (buffer[0] as number) & 0x0f;
      let length = (buffer[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      buffer = buffer.subarray(offset + length);
      if (opcode === 2 || opcode === 0) stream.push(payload);
      else if (opcode === 9) socket.write(frame(10, payload));
      else if (opcode === 8) {
        socket.end(frame(8, payload));
        stream.push(null);
      }
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    parse();
  });
  socket.once('close', () => stream.destroy());
  parse();
  return { stream, accepted: /\r\nSec-WebSocket-Protocol: ([^\r]*)/i.exec(head)?.[1] };
}

class PassThroughDuplex extends Duplex {
  constructor(private readonly out: (data: Buffer) => void, private readonly onDestroy: () => void) {
    super();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.out(chunk);
    done();
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.onDestroy();
    done(error);
  }
}
