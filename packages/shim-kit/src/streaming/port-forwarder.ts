import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ShimError } from '../errors.js';

/** Where a PortForward connects: the pod's network namespace, or the host's for a host-network pod. */
export interface PortForwardTarget {
  podSandboxId: string;
  /** The pod's network namespace; undefined for a host-network pod (connects on the host). */
  netnsPath?: string;
}

/** Opens a connection to 127.0.0.1:`port` as the pod sees it; rejects with a message for the client when it cannot. */
export type PortForwarder = (target: PortForwardTarget, port: number, signal: AbortSignal) => Promise<Duplex>;

/** What the client reads on its error stream when `port` of `target` could not be reached (kubelet's wording). */
export function forwardingError(target: PortForwardTarget, port: number, e: unknown): string {
  return `error forwarding port ${port} to pod ${target.podSandboxId}: ${e instanceof Error ? e.message : String(e)}`;
}

/** Options of {@link netnsPortForwarder}. */
export interface NetnsPortForwarderOptions {
  /** nsenter binary (default `nsenter` on PATH). */
  nsenter?: string;
  /** The relay script (default: the built `port-forward-relay.js` beside this module). */
  relayScript?: string;
}

/**
 * The default {@link PortForwarder}: a host-network pod gets a plain TCP connection; otherwise a
 * relay child runs inside the pod's netns (`nsenter --net=<netns> node port-forward-relay.js <port>`)
 * and its stdin/stdout are the connection.
 */
export function netnsPortForwarder(options: NetnsPortForwarderOptions = {}): PortForwarder {
  return (target, port, signal) => (target.netnsPath === undefined ? connectHost(port, signal) : relayInNetns(target.netnsPath, port, options, signal));
}

/** The built relay script; from sources (tests run `tsc -b` first) the one in dist. */
export function relayScriptPath(): string {
  const beside = fileURLToPath(new URL('./port-forward-relay.js', import.meta.url));
  return existsSync(beside) ? beside : beside.replace(/\/src\/streaming\/port-forward-relay\.js$/, '/dist/streaming/port-forward-relay.js');
}

function connectHost(port: number, signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, signal });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', (e) => reject(new ShimError('Unavailable', `connecting to port ${port}: ${e.message}`, { cause: e })));
  });
}

function relayInNetns(netnsPath: string, port: number, options: NetnsPortForwarderOptions, signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.nsenter ?? 'nsenter', [`--net=${netnsPath}`, process.execPath, options.relayScript ?? relayScriptPath(), String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal,
      killSignal: 'SIGKILL',
    });
    let said = '';
    let settled = false;
    const fail = (message: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new ShimError('Unavailable', `connecting to port ${port} in ${netnsPath}: ${message}`, { cause }));
    };
    child.once('error', (e) => fail(e.message, e));
    child.once('exit', () => fail(said.trim() || 'the relay exited'));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      said += text;
      if (settled || !said.includes('\n')) return;
      if (!said.startsWith('connected\n')) return fail(said.split('\n')[0] ?? said);
      settled = true;
      child.stdin.on('error', () => undefined);
      const connection = Duplex.from({ readable: child.stdout, writable: child.stdin });
      connection.once('close', () => child.kill('SIGKILL'));
      resolve(connection);
    });
  });
}
