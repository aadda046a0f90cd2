import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { forwardingError, type PortForwarder, type PortForwardTarget } from '../port-forwarder.js';
import { ChannelConnection } from './channel-connection.js';
import { channelProtocol, PORT_FORWARD_PROTOCOLS, SPDY_TUNNEL_PORT_FORWARD_PROTOCOL, type ChannelProtocol } from './channel-protocols.js';
import { checkHandshake, refuseHandshake } from './handshake.js';
import { serveTunnelledPortForward } from './spdy-tunnel.js';
import type { WebSocketTransportOptions } from './transport-options.js';
import { upgradeToWebSocket } from './upgrade.js';

/** Options of {@link acceptWebSocketPortForward}. */
export interface WebSocketPortForwardOptions extends WebSocketTransportOptions {
  target: PortForwardTarget;
  forward: PortForwarder;
  /**
   * The ports to forward over channels: kubelet's CRI streaming server takes them from the
   * PortForwardRequest (its `port` field). When empty or absent, the `port` query parameters of the
   * request are used (`?port=80&port=443` or `?port=80,443`, as kubelet's own server reads them).
   * The SPDY tunnel ignores them: each of its streams names its port.
   */
  ports?: readonly number[];
  /** SPDY tunnel only: how long the second stream of a data/error pair may take after the first (default 30 s). */
  streamCreationTimeoutMs?: number;
}

/** What the session runs over the WebSocket: channels, or a tunnelled SPDY session. */
interface Serving {
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

// Two channels per port, and channel 255 is reserved.
const MAX_PORTS = 127;

/**
 * Completes the WebSocket handshake of a port-forward request and serves it. With kubelet's
 * protocols (`v4.channel.k8s.io`, `v4.base64.channel.k8s.io`, or no subprotocol) port i gets data
 * channel 2i and error channel 2i+1, and the first message on each carries the port (uint16
 * little-endian); the data channel is relayed to the connection `forward` opens, a failure goes as
 * text on the error channel; each port carries one connection and the session ends once all are
 * done. With `SPDY/3.1+portforward.k8s.io` (client-go's WebSocket dialer) it serves
 * `portforward.k8s.io` over the tunnelled SPDY session. A bad request (no WebSocket upgrade, no
 * port or a bad one) gets `400`, one without a supported subprotocol `403`, with a message naming
 * what was wrong; then it returns undefined.
 */
export function acceptWebSocketPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, options: WebSocketPortForwardOptions): WebSocketPortForwardSession | undefined {
  const checked = checkHandshake(req, [...PORT_FORWARD_PROTOCOLS.map((p) => p.name), SPDY_TUNNEL_PORT_FORWARD_PROTOCOL]);
  if ('refusal' in checked) return void refuseHandshake(socket, checked.refusal);
  const upgrade = (): Promise<WebSocket> => upgradeToWebSocket(req, socket, head, checked.protocol, options);
  if (checked.protocol === SPDY_TUNNEL_PORT_FORWARD_PROTOCOL) {
    const serving = upgrade().then((ws) => serveTunnelledPortForward(ws, { target: options.target, forward: options.forward, pairTimeoutMs: options.streamCreationTimeoutMs ?? 30_000 }));
    return new WebSocketPortForwardSession(serving, checked.protocol, []);
  }
  const ports = options.ports !== undefined && options.ports.length > 0 ? checkPorts(options.ports) : portsFromQuery(req.url ?? '/');
  if (typeof ports === 'string') return void refuseHandshake(socket, { status: 400, message: ports });
  const protocol = channelProtocol(checked.protocol, PORT_FORWARD_PROTOCOLS) as ChannelProtocol;
  return new WebSocketPortForwardSession(upgrade().then((ws) => new ChannelPortForward(ws, protocol, ports, options)), checked.protocol, ports);
}

/** A port-forward session over WebSocket; see {@link acceptWebSocketPortForward}. */
export class WebSocketPortForwardSession {
  /** Resolves when the connection is gone (every port done, or closed by either side). */
  readonly closed: Promise<void>;

  /** @internal Made by {@link acceptWebSocketPortForward}. */
  constructor(
    private readonly serving: Promise<Serving>,
    /** The negotiated subprotocol (`''` when the client offered none). */
    readonly protocol: string,
    /** The ports forwarded over channels, in channel order (empty for the SPDY tunnel). */
    readonly ports: readonly number[],
  ) {
    this.closed = serving.then((s) => s.closed, () => undefined);
  }

  /** Ends the connection and every forwarded connection; idempotent. */
  async close(): Promise<void> {
    const serving = await this.serving.catch(() => undefined);
    await serving?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** kubelet's channel port forward over an open WebSocket. */
class ChannelPortForward implements Serving {
  readonly closed: Promise<void>;
  private readonly connection: ChannelConnection;
  private readonly aborter = new AbortController();

  constructor(ws: WebSocket, protocol: ChannelProtocol, ports: readonly number[], private readonly options: WebSocketPortForwardOptions) {
    this.connection = new ChannelConnection(ws, {
      protocol,
      channels: ports.length * 2,
      readable: ports.map((_p, i) => 2 * i),
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
    });
    this.closed = this.connection.closed;
    void this.closed.then(() => this.aborter.abort());
    ports.forEach((port, i) => {
      const header = Buffer.alloc(2);
      header.writeUInt16LE(port);
      this.connection.send(2 * i, header);
      this.connection.send(2 * i + 1, header);
    });
    void Promise.all(ports.map((port, i) => this.relay(i, port))).then(() => this.connection.close());
  }

  async close(): Promise<void> {
    this.aborter.abort();
    await this.connection.close();
  }

  private async relay(index: number, port: number): Promise<void> {
    const { connection, options } = this;
    const signal = this.aborter.signal;
    const fromClient = connection.reader(2 * index);
    const toClient = connection.writer(2 * index);
    let target: Duplex;
    try {
      if (signal.aborted) throw new Error('the session is closed');
      target = await options.forward(options.target, port, signal);
    } catch (e) {
      fromClient.resume(); // nothing reads this channel any more: drop what comes
      return new Promise((resolve) => connection.send(2 * index + 1, Buffer.from(forwardingError(options.target, port, e)), resolve));
    }
    target.on('error', () => undefined);
    if (signal.aborted) return void target.destroy();
    const onAbort = (): void => void target.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    fromClient.pipe(target);
    target.pipe(toClient);
    // Done once the pod side has finished (as kubelet's runtimes return then) or is gone.
    await new Promise<void>((resolve) => {
      target.once('close', resolve);
      toClient.once('finish', resolve);
      toClient.once('close', resolve);
    });
    signal.removeEventListener('abort', onAbort);
    fromClient.unpipe(target);
    fromClient.resume();
    target.destroy();
  }
}

function checkPorts(ports: readonly number[]): number[] | string {
  if (ports.length > MAX_PORTS) return `at most ${MAX_PORTS} ports can be forwarded over one WebSocket, got ${ports.length}`;
  const bad = ports.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  if (bad !== undefined) return `invalid port ${bad}: expected 1-65535`;
  return [...ports];
}

/** The ports of the `port` query parameters (each may be a comma-separated list), or what is wrong with them. */
export function portsFromQuery(url: string): number[] | string {
  const values = new URL(url, 'http://localhost').searchParams.getAll('port');
  if (values.length === 0) return 'query parameter "port" is required';
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') return 'query parameter "port" cannot be empty';
    for (const part of value.split(',')) {
      if (!/^\d{1,5}$/.test(part) || Number(part) > 65535) return `unable to parse ${JSON.stringify(part)} in query parameter "port" as a port`;
      if (Number(part) < 1) return `port ${JSON.stringify(part)} must be > 0`;
      ports.push(Number(part));
    }
  }
  return checkPorts(ports);
}
