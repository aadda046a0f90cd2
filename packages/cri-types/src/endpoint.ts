import { isAbsolute } from 'node:path';
import { CriError } from './cri-error.js';

/** Longest socket path the kernel accepts: sun_path is 108 bytes including the final NUL. */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107;

/** A parsed CRI endpoint: a unix socket path. Only obtained from `parseEndpoint`. */
export interface UnixEndpoint {
  readonly kind: 'unix';
  /** The socket path, as given (relative paths stay relative to the working directory). */
  readonly path: string;
  /** The target string grpc-js understands (`unix:///abs` or `unix:rel`). */
  readonly target: string;
}

function invalid(input: string, why: string): CriError {
  return new CriError('InvalidEndpoint', `invalid CRI endpoint ${JSON.stringify(input)}: ${why}`);
}

const schemePattern = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Parses a CRI endpoint the way kubelet's `--container-runtime-endpoint` is
 * written: `unix:///abs/path.sock`, `unix:/abs/path.sock`, `unix:relative.sock`,
 * or a plain absolute or relative path. Other schemes (tcp, http, npipe ...),
 * a host in `unix://host/...`, NUL bytes and paths longer than the kernel's
 * sun_path limit are rejected with a `CriError` code `InvalidEndpoint`.
 */
export function parseEndpoint(input: string): UnixEndpoint {
  if (typeof input !== 'string' || input.trim() === '') throw invalid(String(input), 'it is empty');
  if (input.includes('\0')) throw invalid(input, 'it contains a NUL byte');
  if (input !== input.trim()) throw invalid(input, 'it has leading or trailing whitespace');

  let path = input;
  const scheme = schemePattern.exec(input)?.[1];
  if (scheme !== undefined) {
    if (scheme.toLowerCase() !== 'unix') {
      throw invalid(input, `scheme "${scheme}" is not supported; CRI endpoints are unix sockets (unix:///path/to.sock)`);
    }
    const rest = input.slice(scheme.length + 1);
    if (rest.startsWith('//')) {
      const afterSlashes = rest.slice(2);
      if (afterSlashes === '') throw invalid(input, 'it names no socket path');
      if (!afterSlashes.startsWith('/')) {
        const host = afterSlashes.split('/')[0];
        throw invalid(input, `a unix endpoint cannot name a host ("${host}"); write unix:///absolute/path.sock`);
      }
      path = afterSlashes;
    } else {
      path = rest;
    }
  }
  if (path === '') throw invalid(input, 'it names no socket path');
  if (path.endsWith('/')) throw invalid(input, `"${path}" names a directory, not a socket file`);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_UNIX_SOCKET_PATH_BYTES) {
    throw invalid(input, `the socket path is ${bytes} bytes long; unix sockets allow at most ${MAX_UNIX_SOCKET_PATH_BYTES}`);
  }
  return { kind: 'unix', path, target: isAbsolute(path) ? `unix://${path}` : `unix:${path}` };
}
