import { connect, createServer, type Server, type Socket } from 'node:net';
import { SpdyFrameDecoder, SpdyFrameEncoder, type SpdyFrame } from './spdy-frames.js';

/** A raw SPDY client for tests: sends frames it is given and records every frame it receives. */
export class SpdyTestClient {
  readonly frames: SpdyFrame[] = [];
  private readonly encoder = new SpdyFrameEncoder();
  private readonly decoder = new SpdyFrameDecoder({ maxFrameLength: 1024 * 1024 });
  private waiters: Array<() => void> = [];
  private pumping = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => {
      resolve();
      this.wake();
    }));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk);
      void this.pump();
    });
  }

  /** A client over a socket that is already upgraded; `early` are SPDY bytes read along with the HTTP response. */
  static fromSocket(socket: Socket, early: Buffer = Buffer.alloc(0)): SpdyTestClient {
    const client = new SpdyTestClient(socket);
    if (early.length > 0) {
      client.decoder.push(early);
      void client.pump();
    }
    return client;
  }

  static async connect(port: number): Promise<SpdyTestClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new SpdyTestClient(socket);
  }

  async send(...frames: SpdyFrame[]): Promise<void> {
    for (const f of frames) this.socket.write(await this.encoder.encode(f));
  }

  /** Waits (at most 10 s) for a received frame matching `match`, removing it from {@link frames}. */
  async waitFor<T extends SpdyFrame>(match: (f: SpdyFrame) => f is T): Promise<T>;
  async waitFor(match: (f: SpdyFrame) => boolean): Promise<SpdyFrame>;
  async waitFor(match: (f: SpdyFrame) => boolean): Promise<SpdyFrame> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0] as SpdyFrame;
      // Frames still being decoded after the socket closed count too.
      if (this.socket.destroyed && !this.pumping && this.decoder.pendingBytes === 0) throw new Error(`connection closed; frames left: ${JSON.stringify(this.frames.map((f) => f.kind))}`);
      if (Date.now() > deadline) throw new Error(`no matching frame in 10 s; got ${JSON.stringify(this.frames.map((f) => f.kind))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** All DATA received on `streamId` until its FIN. */
  async readStream(streamId: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const f = await this.waitFor((x) => x.kind === 'DATA' && x.streamId === streamId);
      if (f.kind !== 'DATA') continue;
      parts.push(f.data);
      if ((f.flags & 1) !== 0) return Buffer.concat(parts);
    }
  }

  close(): void {
    this.socket.destroy();
    this.encoder.close();
    this.decoder.close();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let f = await this.decoder.next(); f !== undefined; f = await this.decoder.next()) {
        this.frames.push(f);
        this.wake();
      }
    } catch {
      this.socket.destroy();
    } finally {
      this.pumping = false;
      this.wake();
    }
  }
}

/** A TCP server on 127.0.0.1:0 for tests; `close()` destroys its open sockets too. */
export async function listenLocal(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    server,
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
