import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ShimError } from '../errors.js';
import type { AttachRequest, AttachRunner } from './attach-runner.js';
import type { ExecRequest, ExecRunner, ExecStreams } from './exec-runner.js';
import { exitStatus, internalErrorStatus, type ExecStatus } from './exec-status.js';
import type { PortForwarder, PortForwardTarget } from './port-forwarder.js';
import type { StreamingEndpoint } from './streaming-endpoint.js';
import { servePortForward } from './port-forward-session.js';
import type { RemoteCommandOptions, RemoteCommandSession } from './remote-command.js';
import { acceptSpdyRemoteCommand } from './spdy-remote-command.js';
import { acceptWebSocketPortForward, acceptWebSocketRemoteCommand, isWebSocketUpgrade, refuseHandshake } from './websocket/index.js';

/** The remote-command protocol this server speaks (the exit status comes as a metav1.Status on the error stream). */
export const EXEC_PROTOCOL_V4 = 'v4.channel.k8s.io';
/** The port-forward protocol (data/error stream pairs per `port` and `requestID` headers). */
export const PORT_FORWARD_PROTOCOL_V1 = 'portforward.k8s.io';

/** Options of {@link StreamingServer.start}. */
export interface StreamingServerOptions {
  /** Runs the commands of exec requests. */
  exec: ExecRunner;
  /** Connects attach requests to their container; without it `requestAttach` throws Unimplemented. */
  attach?: AttachRunner;
  /** Opens the connections of port-forward requests; without it `requestPortForward` throws Unimplemented. */
  portForward?: PortForwarder;
  /** Address to listen on (default 127.0.0.1); port 0 picks a free one. */
  host?: string;
  port?: number;
  /** How long a request URL stays valid before it is used (default one minute, as kubelet's). */
  requestTtlMs?: number;
  /** How long the client has to open its streams after the upgrade (default 30 s, as kubelet's). */
  streamCreationTimeoutMs?: number;
  /** Most unused request URLs kept at once (default 1000). */
  maxPendingRequests?: number;
  /** Clock for expiry (default Date.now). */
  now?: () => number;
}

type Pending = { expiresAt: number } & (
  | { kind: 'exec'; request: ExecRequest }
  | { kind: 'attach'; request: AttachRequest }
  | { kind: 'portforward'; target: PortForwardTarget; ports: readonly number[] }
);

type Closable = { closed: Promise<void>; close(): Promise<void> };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * kubelet's CRI streaming server for the runtime side: `requestExec`, `requestAttach` and
 * `requestPortForward` answer their RPCs with a single-use URL; the client (kubelet's proxy,
 * crictl) upgrades a request to that URL to SPDY/3.1 or to a WebSocket (kubelet's channel
 * protocols) and opens its streams, and the command runs, the container is attached to or the
 * ports are forwarded with them.
 */
export class StreamingServer implements StreamingEndpoint {
  private readonly pending = new Map<string, Pending>();
  private readonly connections = new Set<Closable>();
  private readonly now: () => number;

  private constructor(
    private readonly server: Server,
    private readonly options: StreamingServerOptions,
    /** Base URL, e.g. `http://127.0.0.1:34567`. */
    readonly baseUrl: string,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Starts listening. */
  static async start(options: StreamingServerOptions, signal?: AbortSignal): Promise<StreamingServer> {
    signal?.throwIfAborted();
    const server = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('this endpoint needs an Upgrade: SPDY/3.1 or websocket request\n');
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new ShimError('Internal', 'streaming server has no TCP address');
    const self = new StreamingServer(server, options, `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => self.upgrade(req, socket, head));
    return self;
  }

  /** Registers an exec and returns the single-use URL the client must open (the ExecResponse url). */
  requestExec(request: ExecRequest): { url: string } {
    if (request.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec command is empty');
    if (!request.stdout && !request.stderr && !request.stdin) throw new ShimError('InvalidArgument', 'exec needs at least one of stdin, stdout and stderr');
    if (request.tty && request.stderr) throw new ShimError('InvalidArgument', 'a tty exec has no stderr: its terminal has one output stream');
    return this.register({ kind: 'exec', request: { ...request, cmd: [...request.cmd] } });
  }

  /** Registers an attach and returns the single-use URL the client must open (the AttachResponse url). */
  requestAttach(request: AttachRequest): { url: string } {
    if (this.options.attach === undefined) throw new ShimError('Unimplemented', 'this streaming server has no attach runner');
    if (!request.stdout && !request.stderr && !request.stdin) throw new ShimError('InvalidArgument', 'attach needs at least one of stdin, stdout and stderr');
    return this.register({ kind: 'attach', request: { ...request } });
  }

  /**
   * Registers a port forward into a pod and returns the single-use URL the client must open (the
   * PortForwardResponse url). `ports` (the request's) are what a WebSocket client gets; over SPDY
   * each stream names its port.
   */
  requestPortForward(target: PortForwardTarget, ports: readonly number[] = []): { url: string } {
    if (this.options.portForward === undefined) throw new ShimError('Unimplemented', 'this streaming server has no port forwarder');
    return this.register({ kind: 'portforward', target: { ...target }, ports: [...ports] });
  }

  private register(entry: DistributiveOmit<Pending, 'expiresAt'>): { url: string } {
    this.prune();
    const max = this.options.maxPendingRequests ?? 1000;
    if (this.pending.size >= max) throw new ShimError('ResourceExhausted', `${max} streaming requests are already waiting for their client`);
    const token = randomBytes(8).toString('base64url');
    this.pending.set(token, { ...entry, expiresAt: this.now() + (this.options.requestTtlMs ?? 60_000) });
    return { url: `${this.baseUrl}/${entry.kind}/${token}` };
  }

  /** Number of request URLs not used yet (expired ones excluded). */
  get pendingRequests(): number {
    this.prune();
    return this.pending.size;
  }

  /** Stops listening and ends every open session. */
  async close(): Promise<void> {
    this.pending.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.close()));
    this.server.closeAllConnections();
    await closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private prune(): void {
    const now = this.now();
    for (const [token, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(token);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const match = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const token = match?.[2];
    const entry = token === undefined ? undefined : this.pending.get(token);
    if (token !== undefined) this.pending.delete(token); // single use, even when the handshake fails
    if (entry === undefined || entry.expiresAt <= this.now() || entry.kind !== match?.[1]) return refuseHandshake(socket, { status: 404, message: `unknown or expired ${match?.[1] ?? 'streaming'} request` });
    if (isWebSocketUpgrade(req)) return this.serveWebSocket(entry, req, socket, head);
    const protocol = entry.kind === 'portforward' ? PORT_FORWARD_PROTOCOL_V1 : EXEC_PROTOCOL_V4;
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1') {
      return refuseHandshake(socket, { status: 400, message: `unsupported upgrade "${req.headers.upgrade ?? ''}", only SPDY/3.1 and websocket are served` });
    }
    const offered = (req.headers['x-stream-protocol-version'] ?? '').toString().split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (!offered.includes(protocol)) {
      return refuseHandshake(socket, { status: 403, message: `unable to negotiate protocol: client supports [${offered.join(', ')}], server supports [${protocol}]` });
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    if (entry.kind === 'portforward') {
      return this.track(servePortForward(socket, { target: entry.target, forward: this.options.portForward as PortForwarder, pairTimeoutMs: this.streamCreationTimeoutMs }));
    }
    const session = acceptSpdyRemoteCommand(socket, { ...streamsOf(entry.request), streamCreationTimeoutMs: this.streamCreationTimeoutMs });
    this.track(session);
    void this.serveRemoteCommand(session, this.runner(entry));
  }

  /** The same requests over WebSocket: kubelet's channel protocols (and client-go's SPDY tunnel for port forward). */
  private serveWebSocket(entry: Pending, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const streamCreationTimeoutMs = this.streamCreationTimeoutMs;
    if (entry.kind === 'portforward') {
      const forward = this.options.portForward as PortForwarder;
      const session = acceptWebSocketPortForward(req, socket, head, { target: entry.target, forward, ports: entry.ports, streamCreationTimeoutMs });
      if (session !== undefined) this.track(session);
      return;
    }
    const session = acceptWebSocketRemoteCommand(req, socket, head, { ...streamsOf(entry.request), streamCreationTimeoutMs });
    if (session === undefined) return;
    this.track(session);
    void this.serveRemoteCommand(session, this.runner(entry));
  }

  private get streamCreationTimeoutMs(): number {
    return this.options.streamCreationTimeoutMs ?? 30_000;
  }

  /** What runs an exec or attach entry once its streams are open, as the status to report. */
  private runner(entry: Extract<Pending, { kind: 'exec' | 'attach' }>): (streams: ExecStreams, signal: AbortSignal) => Promise<ExecStatus> {
    if (entry.kind === 'exec') return (streams, signal) => this.options.exec(entry.request, streams, signal).then(exitStatus);
    return (streams, signal) => (this.options.attach as AttachRunner)(entry.request, streams, signal).then(() => exitStatus(0));
  }

  private track(connection: Closable): void {
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
  }

  /** Runs an exec or attach once the client opened its streams, then reports the status on the error stream and closes. */
  private async serveRemoteCommand(session: RemoteCommandSession, run: (streams: ExecStreams, signal: AbortSignal) => Promise<ExecStatus>): Promise<void> {
    let streams;
    try {
      streams = await session.streams;
    } catch {
      return session.close(); // the client did not open its streams in time, or went away
    }
    const aborter = new AbortController();
    void session.closed.then(() => aborter.abort());
    const { error, ...stdio } = streams;
    let status: ExecStatus;
    try {
      status = await run(stdio, aborter.signal);
    } catch (e) {
      status = internalErrorStatus((e as Error).message);
    }
    if (!error.destroyed) {
      await new Promise<void>((resolve) => {
        error.once('close', () => resolve());
        error.end(JSON.stringify(status), () => resolve());
      });
    }
    await session.close();
  }
}

function streamsOf(request: ExecRequest | AttachRequest): RemoteCommandOptions {
  return { stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, tty: request.tty };
}
