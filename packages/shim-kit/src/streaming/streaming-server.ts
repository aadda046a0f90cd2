import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ShimError } from '../errors.js';
import type { ExecRequest, ExecRunner } from './exec-runner.js';
import { exitStatus, internalErrorStatus, type ExecStatus } from './exec-status.js';
import { SpdyConnection } from './spdy-connection.js';
import type { SpdyStream } from './spdy-stream.js';
import type { PortForwarder, PortForwardTarget } from './port-forwarder.js';
import { servePortForward } from './port-forward-session.js';

/** The remote-command protocol this server speaks (the exit status comes as a metav1.Status on the error stream). */
export const EXEC_PROTOCOL_V4 = 'v4.channel.k8s.io';
/** The port-forward protocol (data/error stream pairs per `port` and `requestID` headers). */
export const PORT_FORWARD_PROTOCOL_V1 = 'portforward.k8s.io';

/** Options of {@link StreamingServer.start}. */
export interface StreamingServerOptions {
  /** Runs the commands of exec requests. */
  exec: ExecRunner;
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

type Pending = { kind: 'exec'; request: ExecRequest; expiresAt: number } | { kind: 'portforward'; target: PortForwardTarget; expiresAt: number };

/**
 * kubelet's CRI streaming server for the runtime side: `requestExec` answers the Exec RPC with a
 * single-use URL; the client (kubelet's proxy) upgrades a request to that URL to SPDY/3.1 and opens
 * its streams, and the command runs with them. Only non-tty exec over SPDY is served so far.
 */
export class StreamingServer {
  private readonly pending = new Map<string, Pending>();
  private readonly connections = new Set<SpdyConnection>();
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
      res.writeHead(400, { 'content-type': 'text/plain' }).end('this endpoint needs an Upgrade: SPDY/3.1 request\n');
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
    const token = this.reserve('exec');
    this.pending.set(token, { kind: 'exec', request: { ...request, cmd: [...request.cmd] }, expiresAt: this.now() + (this.options.requestTtlMs ?? 60_000) });
    return { url: `${this.baseUrl}/exec/${token}` };
  }

  /** Registers a port forward into a pod and returns the single-use URL the client must open (the PortForwardResponse url). */
  requestPortForward(target: PortForwardTarget): { url: string } {
    if (this.options.portForward === undefined) throw new ShimError('Unimplemented', 'this streaming server has no port forwarder');
    const token = this.reserve('port-forward');
    this.pending.set(token, { kind: 'portforward', target: { ...target }, expiresAt: this.now() + (this.options.requestTtlMs ?? 60_000) });
    return { url: `${this.baseUrl}/portforward/${token}` };
  }

  private reserve(kind: string): string {
    this.prune();
    const max = this.options.maxPendingRequests ?? 1000;
    if (this.pending.size >= max) throw new ShimError('ResourceExhausted', `${max} ${kind} requests are already waiting for their client`);
    return randomBytes(8).toString('base64url');
  }

  /** Number of exec URLs not used yet (expired ones excluded). */
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
    const match = /^\/(exec|portforward)\/([A-Za-z0-9_-]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const token = match?.[2];
    const entry = token === undefined ? undefined : this.pending.get(token);
    if (token !== undefined) this.pending.delete(token); // single use, even when the handshake fails
    if (entry === undefined || entry.expiresAt <= this.now() || entry.kind !== match?.[1]) return refuse(socket, 404, 'Not Found', `unknown or expired ${match?.[1] ?? 'streaming'} request`);
    const protocol = entry.kind === 'exec' ? EXEC_PROTOCOL_V4 : PORT_FORWARD_PROTOCOL_V1;
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1') {
      return refuse(socket, 400, 'Bad Request', `unsupported upgrade "${req.headers.upgrade ?? ''}", only SPDY/3.1 is served`);
    }
    const offered = (req.headers['x-stream-protocol-version'] ?? '').toString().split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (!offered.includes(protocol)) {
      return refuse(socket, 403, 'Forbidden', `unable to negotiate protocol: client supports [${offered.join(', ')}], server supports [${protocol}]`);
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    if (entry.kind === 'exec') return this.serveExec(entry.request, socket);
    const connection = servePortForward(socket, {
      target: entry.target,
      forward: this.options.portForward as PortForwarder,
      pairTimeoutMs: this.options.streamCreationTimeoutMs ?? 30_000,
    });
    this.connections.add(connection);
    void connection.closed.then(() => this.connections.delete(connection));
  }

  private serveExec(request: ExecRequest, socket: Duplex): void {
    const expected = new Set<string>(['error']);
    if (request.stdin) expected.add('stdin');
    if (request.stdout) expected.add('stdout');
    if (request.stderr) expected.add('stderr');
    const streams = new Map<string, SpdyStream>();
    let started = false;
    const connection = new SpdyConnection(socket, {
      onStream: (stream) => {
        const type = stream.header('streamtype') ?? '';
        if (started || !expected.has(type) || streams.has(type)) return void stream.destroy();
        streams.set(type, stream);
        if (streams.size === expected.size) {
          started = true;
          clearTimeout(timer);
          void this.runExec(request, streams, connection);
        }
      },
    });
    this.connections.add(connection);
    void connection.closed.then(() => {
      clearTimeout(timer);
      this.connections.delete(connection);
    });
    const timer = setTimeout(() => void connection.close(), this.options.streamCreationTimeoutMs ?? 30_000);
  }

  private async runExec(request: ExecRequest, streams: Map<string, SpdyStream>, connection: SpdyConnection): Promise<void> {
    const aborter = new AbortController();
    void connection.closed.then(() => aborter.abort());
    const stdin = streams.get('stdin');
    const stdout = streams.get('stdout');
    const stderr = streams.get('stderr');
    let status: ExecStatus;
    try {
      status = exitStatus(await this.options.exec(request, { ...(stdin && { stdin }), ...(stdout && { stdout }), ...(stderr && { stderr }) }, aborter.signal));
    } catch (e) {
      status = internalErrorStatus((e as Error).message);
    }
    const errorStream = streams.get('error') as SpdyStream;
    if (!errorStream.destroyed) {
      await new Promise<void>((resolve) => {
        errorStream.once('close', () => resolve());
        errorStream.end(JSON.stringify(status), () => resolve());
      });
    }
    await connection.close();
  }
}

function refuse(socket: Duplex, code: number, text: string, message: string): void {
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
