import type { IncomingMessage } from 'node:http';
import { Writable, type Duplex } from 'node:stream';
import type { RemoteCommandOptions, RemoteCommandSession, RemoteCommandStreams } from '../remote-command.js';
import { ChannelConnection } from './channel-connection.js';
import { channelProtocol, REMOTE_COMMAND_PROTOCOLS, RemoteCommandChannel, type ChannelProtocol } from './channel-protocols.js';
import { checkHandshake, refuseHandshake } from './handshake.js';
import type { WebSocketTransportOptions } from './transport-options.js';
import { upgradeToWebSocket } from './upgrade.js';

/** Options of {@link acceptWebSocketRemoteCommand}: the streams the CRI request asked for, and transport limits. */
export interface WebSocketRemoteCommandOptions extends RemoteCommandOptions, WebSocketTransportOptions {
  /**
   * Over WebSocket every channel exists as soon as the handshake is done, so there is no stream to
   * wait for (kubelet has no such timeout for WebSocket either); when given, it bounds the handshake
   * (unless `handshakeTimeoutMs` is given too).
   */
  streamCreationTimeoutMs?: number;
}

// A status is a few hundred bytes; anything beyond this is not one.
const MAX_STATUS_BYTES = 64 * 1024;

/**
 * Completes the WebSocket handshake of an exec or attach request (kubelet's `channel.k8s.io`
 * protocols: `v5.channel.k8s.io`, `v4.channel.k8s.io`, `v4.base64.channel.k8s.io`,
 * `channel.k8s.io`, `base64.channel.k8s.io`, or none) and returns the session; its `streams`
 * resolve once the connection is open. Channels: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize.
 * A request that is no valid WebSocket upgrade gets `400`, one without a supported subprotocol
 * `403`, both with a message naming what was wrong; then it returns undefined.
 */
export function acceptWebSocketRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, options: WebSocketRemoteCommandOptions): RemoteCommandSession | undefined {
  const checked = checkHandshake(req, REMOTE_COMMAND_PROTOCOLS.map((p) => p.name));
  if ('refusal' in checked) return void refuseHandshake(socket, checked.refusal);
  return new WebSocketRemoteCommandSession(req, socket, head, channelProtocol(checked.protocol, REMOTE_COMMAND_PROTOCOLS) as ChannelProtocol, options);
}

/** An exec or attach session over WebSocket; see {@link acceptWebSocketRemoteCommand}. */
export class WebSocketRemoteCommandSession implements RemoteCommandSession {
  readonly streams: Promise<RemoteCommandStreams>;
  readonly closed: Promise<void>;
  private readonly connection: Promise<ChannelConnection>;
  private errorStream: Writable | undefined;

  /** @internal Made by {@link acceptWebSocketRemoteCommand}. */
  constructor(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: ChannelProtocol, options: WebSocketRemoteCommandOptions) {
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? options.streamCreationTimeoutMs;
    this.connection = upgradeToWebSocket(req, socket, head, protocol.name, { ...options, ...(handshakeTimeoutMs !== undefined && { handshakeTimeoutMs }) }).then((ws) => {
      const readable: number[] = [];
      if (options.stdin) readable.push(RemoteCommandChannel.stdin);
      if (options.tty) readable.push(RemoteCommandChannel.resize);
      return new ChannelConnection(ws, { protocol, channels: 5, readable, ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }) });
    });
    this.streams = this.connection.then((connection) => {
      const streams = openStreams(connection, protocol, options);
      this.errorStream = streams.error;
      return streams;
    });
    this.streams.catch(() => undefined); // a failed handshake is reported to whoever awaits `streams`
    this.closed = this.connection.then((c) => c.closed, () => undefined);
  }

  /**
   * Ends the connection (a normal close frame; dropped if the client does not answer within 5 s),
   * after the status if the error stream is ended but not sent yet. Idempotent.
   */
  async close(): Promise<void> {
    const connection = await this.connection.catch(() => undefined);
    const error = this.errorStream;
    if (error !== undefined && error.writableEnded && !error.writableFinished && !error.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        error.once('finish', done);
        error.once('close', done);
      });
    }
    await connection?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function openStreams(connection: ChannelConnection, protocol: ChannelProtocol, options: RemoteCommandOptions): RemoteCommandStreams {
  // As kubelet: an empty message on the lowest writable channel tells the client the session is set up.
  const first = options.stdout ? RemoteCommandChannel.stdout : options.stderr ? RemoteCommandChannel.stderr : RemoteCommandChannel.error;
  connection.send(first, Buffer.alloc(0));
  return {
    ...(options.stdin && { stdin: connection.reader(RemoteCommandChannel.stdin) }),
    ...(options.stdout && { stdout: connection.writer(RemoteCommandChannel.stdout) }),
    ...(options.stderr && { stderr: connection.writer(RemoteCommandChannel.stderr) }),
    error: statusWriter(connection, protocol),
    ...(options.tty && { resize: connection.reader(RemoteCommandChannel.resize) }),
  };
}

/**
 * The error channel: collects the status written to it and sends it as one message when ended —
 * the JSON as is for v4 and later, only a failure's message for the unversioned protocols (as
 * kubelet's v1 status writer: nothing on success).
 */
function statusWriter(connection: ChannelConnection, protocol: ChannelProtocol): Writable {
  const parts: Buffer[] = [];
  let size = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (size + chunk.length <= MAX_STATUS_BYTES) parts.push(chunk);
      size += chunk.length;
      done();
    },
    final(done) {
      const status = Buffer.concat(parts);
      const message = protocol.status === 'status' ? status : failureMessage(status);
      if (message.length === 0) return done();
      connection.send(RemoteCommandChannel.error, message, () => done());
    },
  });
}

function failureMessage(status: Buffer): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(status.toString('utf8'));
  } catch {
    return status; // not a status: pass the text on
  }
  if (typeof parsed !== 'object' || parsed === null) return status;
  const { status: outcome, message } = parsed as { status?: unknown; message?: unknown };
  if (outcome === 'Success') return Buffer.alloc(0);
  return typeof message === 'string' ? Buffer.from(message) : status;
}
