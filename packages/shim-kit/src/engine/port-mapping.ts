import { ShimError } from '../errors.js';
import type { PodPortMapping } from '../interfaces/pod-network.js';

const PORT = /^\d{1,5}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function port(text: string, what: string, spec: string): number {
  const n = PORT.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new ShimError('InvalidArgument', `invalid port mapping ${JSON.stringify(spec)}: ${what} ${JSON.stringify(text)} is not a port number (1-65535)`);
  return n;
}

/**
 * Parses a `-p` value as podman does for single ports: `[[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`.
 * Without a host port the container port is published on the same host port.
 * @throws ShimError `InvalidArgument` naming the part that is wrong.
 */
export function parsePortMapping(spec: string): PodPortMapping {
  const bad = (why: string): ShimError => new ShimError('InvalidArgument', `invalid port mapping ${JSON.stringify(spec)}: ${why}`);
  const [address = '', protocolText, ...more] = spec.split('/');
  if (more.length > 0) throw bad('more than one "/"');
  const protocol = protocolText ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') throw bad(`protocol ${JSON.stringify(protocol)} is not tcp, udp or sctp`);
  const parts = address.split(':');
  if (parts.length > 3) throw bad('expected [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]');
  const containerPort = port(parts[parts.length - 1] ?? '', 'container port', spec);
  const hostText = parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '';
  const hostPort = hostText === '' ? containerPort : port(hostText, 'host port', spec);
  const hostIp = parts.length === 3 ? (parts[0] ?? '') : '';
  if (hostIp !== '') {
    const m = IPV4.exec(hostIp);
    if (m === null || m.slice(1).some((o) => Number(o) > 255)) throw bad(`host IP ${JSON.stringify(hostIp)} is not an IPv4 address`);
  }
  return { protocol, containerPort, hostPort, hostIp };
}

/** podman's way of showing a mapping: `0.0.0.0:8080->80/tcp`. */
export function formatPortMapping(m: PodPortMapping): string {
  return `${m.hostIp === '' ? '0.0.0.0' : m.hostIp}:${m.hostPort}->${m.containerPort}/${m.protocol}`;
}
