import { Readable, Writable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { CLOSE_SIGNAL, type ChannelProtocol } from './channel-protocols.js';

/** Options of {@link ChannelConnection}. */
export interface ChannelConnectionOptions {
  protocol: ChannelProtocol;
  /** How many channels the session has; messages for others are ignored (as kubelet does). */
  channels: number;
  /** The channels whose messages are delivered ({@link ChannelConnection.reader}); messages for the others are dropped. */
  readable: Iterable<number>;
  /** Closes the connection when no data message went either way for this long (default: never). */
  idleTimeoutMs?: number;
}

/** How long `close()` waits for the client's close frame before dropping the connection. */
const CLOSE_TIMEOUT_MS = 5000;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const READ_HIGH_WATER_MARK = 64 * 1024;

/**
 * Channels multiplexed over an open WebSocket (`channel.k8s.io` and its versions): each readable
 * channel is a `Readable` of what the client sends on it, each writable one a `Writable` whose
 * writes become messages. Reading from the socket pauses while any channel's reader lags;
 * a write completes once its message is handed to the socket. Readers end when the client
 * half-closes their channel (v5 close signal) or the connection closes; writers are destroyed
 * (quietly, without error) when it closes.
 */
export class ChannelConnection {
  /** Resolves when the WebSocket is closed, by either side. */
  readonly closed: Promise<void>;
  private readonly readers = new Map<number, Readable>();
  private readonly ended = new Set<number>();
  private readonly lagging = new Set<number>();
  private readonly writers = new Set<Writable>();
  private readonly idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelConnectionOptions,
  ) {
    for (const channel of options.readable) {
      this.readers.set(channel, new Readable({
        highWaterMark: READ_HIGH_WATER_MARK,
        read: () => {
          this.lagging.delete(channel);
          if (this.lagging.size === 0) ws.resume();
        },
      }));
    }
    this.closed = new Promise((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once('close', () => resolve());
    });
    void this.closed.then(() => this.onClosed());
    ws.on('error', () => undefined); // a 'close' follows every error
    ws.on('message', (data) => this.onMessage(data));
    if (options.idleTimeoutMs !== undefined) {
      this.idleTimer = setTimeout(() => void this.close(1001, `no data for ${options.idleTimeoutMs} ms`), options.idleTimeoutMs);
    }
  }

  /** What the client sends on `channel` (one of the `readable` channels). */
  reader(channel: number): Readable {
    const reader = this.readers.get(channel);
    if (reader === undefined) throw new RangeError(`channel ${channel} is not readable`);
    return reader;
  }

  /** A `Writable` whose writes go to the client as messages on `channel`; ending it sends nothing (as kubelet). */
  writer(channel: number): Writable {
    const writer = new Writable({
      write: (chunk: Buffer, _encoding, done) => this.send(channel, chunk, () => done()),
    });
    this.writers.add(writer);
    if (this.ws.readyState === this.ws.CLOSED) writer.destroy();
    return writer;
  }

  /**
   * Sends one message on `channel`; `done` runs once it is handed to the socket, or at once when the
   * connection is closing (the message is then dropped: the client is gone).
   */
  send(channel: number, payload: Buffer, done: () => void = () => undefined): void {
    if (this.ws.readyState !== this.ws.OPEN) return done();
    this.idleTimer?.refresh();
    if (this.options.protocol.encoding === 'base64') {
      this.ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'), { binary: false }, () => done());
    } else {
      this.ws.send(Buffer.concat([Buffer.of(channel), payload]), { binary: true }, () => done());
    }
  }

  /**
   * Closes the connection (close frame `code`, then waits for the client's, at most
   * {@link CLOSE_TIMEOUT_MS}); resolves once it is closed. Idempotent.
   */
  async close(code = 1000, reason = ''): Promise<void> {
    for (const channel of this.readers.keys()) this.endReader(channel);
    this.ws.resume(); // the client's close frame must be read even if a reader lagged
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, truncate(reason, 123));
    if (this.ws.readyState !== this.ws.CLOSED) {
      const timer = setTimeout(() => this.ws.terminate(), CLOSE_TIMEOUT_MS);
      await this.closed;
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private onMessage(data: RawData): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.idleTimer?.refresh();
    if (bytes.length === 0) return;
    const { protocol, channels } = this.options;
    if (protocol.closeSignal && bytes[0] === CLOSE_SIGNAL) {
      const channel = bytes[1];
      if (bytes.length !== 2 || channel === undefined) return void this.close(1002, `a close signal carries one channel byte, got ${bytes.length - 1}`);
      if (channel >= channels) return void this.close(1002, `close signal for channel ${channel}, which does not exist`);
      return this.endReader(channel);
    }
    // Either frame type is accepted in both encodings, as kubelet's receiver does.
    const channel = protocol.encoding === 'base64' ? (bytes[0] as number) - 48 : (bytes[0] as number);
    let payload = bytes.subarray(1);
    if (protocol.encoding === 'base64') {
      const text = payload.toString('latin1');
      if (!BASE64.test(text)) return void this.close(1007, `invalid base64 in a message on channel ${channel}`);
      payload = Buffer.from(text, 'base64');
    }
    const reader = this.readers.get(channel);
    if (reader === undefined || this.ended.has(channel) || payload.length === 0) return;
    if (!reader.push(payload)) {
      this.lagging.add(channel);
      this.ws.pause();
    }
  }

  private endReader(channel: number): void {
    const reader = this.readers.get(channel);
    if (reader === undefined || this.ended.has(channel)) return;
    this.ended.add(channel);
    this.lagging.delete(channel);
    if (this.lagging.size === 0) this.ws.resume();
    reader.push(null);
  }

  private onClosed(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    for (const channel of this.readers.keys()) this.endReader(channel);
    for (const writer of this.writers) writer.destroy();
  }
}

function truncate(text: string, maxBytes: number): string {
  let out = text;
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1);
  return out;
}
