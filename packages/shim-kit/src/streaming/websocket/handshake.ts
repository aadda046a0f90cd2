import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { negotiateProtocol } from './channel-protocols.js';

/** A refused upgrade: the HTTP answer to send instead of `101 Switching Protocols`. */
export interface HandshakeRefusal {
  status: 400 | 403 | 404;
  message: string;
  headers?: Record<string, string>;
}

/** Whether `req` asks for a WebSocket upgrade (`Upgrade: websocket`), the check to dispatch between SPDY and WebSocket. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return headerTokens(req.headers.upgrade).includes('websocket');
}

// A 16-byte nonce in base64 (RFC 6455 section 4.1).
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Checks a WebSocket upgrade request (RFC 6455 section 4.2.1) and picks its subprotocol among
 * `supported` (see {@link negotiateProtocol}: `''` when the client offers none); a refusal names what was wrong.
 */
export function checkHandshake(req: IncomingMessage, supported: readonly string[]): { protocol: string } | { refusal: HandshakeRefusal } {
  const bad = (message: string, headers?: Record<string, string>): { refusal: HandshakeRefusal } => ({ refusal: { status: 400, message, ...(headers && { headers }) } });
  if (!isWebSocketUpgrade(req)) return bad(`not a WebSocket upgrade: Upgrade is ${JSON.stringify(req.headers.upgrade ?? '')}, expected "websocket"`);
  if (req.method !== 'GET') return bad(`a WebSocket upgrade must be a GET request, not ${req.method ?? ''}`);
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return bad(`missing or invalid Sec-WebSocket-Key ${JSON.stringify(key ?? '')}: expected the base64 of 16 bytes`);
  const version = req.headers['sec-websocket-version'];
  if (version !== '13') return bad(`unsupported Sec-WebSocket-Version ${JSON.stringify(version ?? '')}: only 13 is served`, { 'Sec-WebSocket-Version': '13' });
  // Names are not checked against RFC 7230's token syntax: client-go's `SPDY/3.1+portforward.k8s.io` is no token.
  const offered = headerTokens(req.headers['sec-websocket-protocol'], false);
  const protocol = negotiateProtocol(offered, supported);
  if (protocol === undefined) {
    return { refusal: { status: 403, message: `unable to negotiate a subprotocol: client offered [${offered.join(', ')}], server supports [${supported.join(', ')}]` } };
  }
  return { protocol };
}

/** Answers `refusal` on a socket that has not been upgraded, and closes it. */
export function refuseHandshake(socket: Duplex, refusal: HandshakeRefusal): void {
  socket.on('error', () => undefined);
  const body = `${refusal.message}\n`;
  const text = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' }[refusal.status];
  const extra = Object.entries(refusal.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${refusal.status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`);
  socket.once('finish', () => socket.destroy());
}

function headerTokens(value: string | string[] | undefined, lowerCase = true): string[] {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text.split(',').map((t) => (lowerCase ? t.trim().toLowerCase() : t.trim())).filter((t) => t !== '');
}
