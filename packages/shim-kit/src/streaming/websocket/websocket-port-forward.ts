import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PortForwarder, PortForwardTarget } from '../port-forwarder.js';
import { ChannelConnection } from './channel-connection.js';
import { PORT_FORWARD_PROTOCOLS } from './channel-protocols.js';
import { checkHandshake, refuseHandshake } from './handshake.js';
import { upgradeToWebSocket, type WebSocketTransportOptions } from './upgrade.js';

/** Options of {@link acceptWebSocketPortForward}. */
export interface WebSocketPortForwardOptions extends WebSocketTransportOptions {
  target: PortForwardTarget;
  forward: PortForwarder;
  /**
   * The ports to forward: kubelet's CRI streaming server takes them from the PortForwardRequest
   * (its `port` field). When empty or absent, the `port` query parameters of the request are used
   * (`?port=80&port=443` or `?port=80,443`, as kubelet's own server reads them).
   */
  ports?: readonly number[];
}

// Two channels per port, and channel 255 is reserved.
const MAX_PORTS = 127;

/**
 * Completes the WebSocket handshake of a port-forward request as kubelet serves it
 * (`v4.channel.k8s.io`, `v4.base64.channel.k8s.io`, or no subprotocol): port i gets data channel
 * 2i and error channel 2i+1; the first message on each carries the port (uint16 little-endian).
 * The data channel is relayed to the connection `forward` opens; when that fails, the failure goes
 * as text on the error channel. Each port carries one connection; the session ends once all of
 * them are done. A bad request (no WebSocket upgrade, no port or a bad one) gets `400`, one without
 * a supported subprotocol `403`, with a message naming what was wrong; then it returns undefined.
 */
export function acceptWebSocketPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, options: WebSocketPortForwardOptions): WebSocketPortForwardSession | undefined {
  const checked = checkHandshake(req, PORT_FORWARD_PROTOCOLS);
  if ('refusal' in checked) return void refuseHandshake(socket, checked.refusal);
  const ports = options.ports !== undefined && options.ports.length > 0 ? checkPorts(options.ports) : portsFromQuery(req.url ?? '/');
  if (typeof ports === 'string') return void refuseHandshake(socket, { status: 400, message: ports });
  return new WebSocketPortForwardSession(upgradeToWebSocket(req, socket, head, checked.protocol, options).then((ws) => {
    const channels = ports.length * 2;
    return new ChannelConnection(ws, {
      protocol: checked.protocol,
      channels,
      readable: ports.map((_p, i) => 2 * i),
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
    });
  }), ports, options);
}

/** A port-forward session over WebSocket; see {@link acceptWebSocketPortForward}. */
export class WebSocketPortForwardSession {
  /** Resolves when the connection is gone (every port done, or closed by either side). */
  readonly closed: Promise<void>;
  private readonly aborter = new AbortController();

  constructor(
    private readonly connection: Promise<ChannelConnection>,
    /** The ports forwarded, in channel order. */
    readonly ports: readonly number[],
    options: WebSocketPortForwardOptions,
  ) {
    this.closed = connection.then((c) => c.closed, () => undefined);
    void connection.then(async (c) => {
      void c.closed.then(() => this.aborter.abort());
      ports.forEach((port, i) => {
        const header = Buffer.alloc(2);
        header.writeUInt16LE(port);
        c.send(2 * i, header);
        c.send(2 * i + 1, header);
      });
      await Promise.all(ports.map((port, i) => relayPort(c, i, port, options, this.aborter.signal)));
      await c.close();
    }, () => undefined);
  }

  /** Ends the connection and every forwarded connection; idempotent. */
  async close(): Promise<void> {
    this.aborter.abort();
    const connection = await this.connection.catch(() => undefined);
    await connection?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function relayPort(connection: ChannelConnection, index: number, port: number, options: WebSocketPortForwardOptions, signal: AbortSignal): Promise<void> {
  const fromClient = connection.reader(2 * index);
  const toClient = connection.writer(2 * index);
  let target: Duplex;
  try {
    if (signal.aborted) throw new Error('the session is closed');
    target = await options.forward(options.target, port, signal);
  } catch (e) {
    fromClient.resume(); // nothing reads this channel any more: drop what comes
    const message = `error forwarding port ${port} to pod ${options.target.podSandboxId}: ${e instanceof Error ? e.message : String(e)}`;
    return new Promise((resolve) => connection.send(2 * index + 1, Buffer.from(message), resolve));
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
