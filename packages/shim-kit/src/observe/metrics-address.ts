import { ShimError } from '../errors.js';

/** Where metrics are served: a TCP host and port, or a unix socket path. */
export type MetricsAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * Parses `--metrics-address`: `host:port` (`127.0.0.1:9090`, `[::1]:9090`, port 0 for any free
 * one), or a unix socket as an absolute path or `unix://` endpoint. Throws `InvalidArgument`.
 */
export function parseMetricsAddress(address: string): MetricsAddress {
  const path = address.startsWith('unix://') ? address.slice('unix://'.length) : address;
  if (path.startsWith('/')) return { kind: 'unix', path };
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new ShimError('InvalidArgument', `"${address}" is not a metrics address: expected host:port (such as 127.0.0.1:9090) or a unix socket path`);
  }
  return { kind: 'tcp', host: match[1] ?? match[2] ?? '', port };
}
