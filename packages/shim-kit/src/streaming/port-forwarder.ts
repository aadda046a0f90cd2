import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostHelper } from '@shimkit/host-helper';
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

/**
 * The default {@link PortForwarder}: a host-network pod gets a plain TCP connection; otherwise
 * the host helper connects inside the pod's netns and relays (no process per connection).
 */
export function netnsPortForwarder(helper: HostHelper): PortForwarder {
  return (target, port, signal) => (target.netnsPath === undefined ? connectHost(port, signal) : connectInNetns(helper, target.netnsPath, port, signal));
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

async function connectInNetns(helper: HostHelper, netnsPath: string, port: number, signal: AbortSignal): Promise<Duplex> {
  try {
    const socket = await helper.connect(netnsPath, '127.0.0.1', port, signal);
    socket.on('error', () => undefined);
    return socket;
  } catch (e) {
    // the helper's message names the port, the namespace and the errno
    throw new ShimError('Unavailable', (e as Error).message, { cause: e });
  }
}
