import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ShimError } from '../../errors.js';
import { refuseHandshake } from './handshake.js';
import { DEFAULT_MAX_PAYLOAD, type WebSocketTransportOptions } from './transport-options.js';
import { loadWs } from './ws-library.js';

/**
 * Answers `101 Switching Protocols` with subprotocol `protocol` (none for `''`) on a request
 * {@link checkHandshake} accepted and resolves with the open WebSocket. Rejects (and drops the socket) if the handshake fails or takes
 * longer than `handshakeTimeoutMs`.
 */
export async function upgradeToWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, options: WebSocketTransportOptions): Promise<WebSocket> {
  const { WebSocketServer } = await loadWs();
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
  });
  // The subprotocol is chosen already; ws would refuse names that are no RFC 7230 token
  // (`SPDY/3.1+portforward.k8s.io`), so it does not see the offer and the answer is added here.
  delete req.headers['sec-websocket-protocol'];
  if (protocol !== '') server.on('headers', (headers: string[]) => headers.push(`Sec-WebSocket-Protocol: ${protocol}`));
  return new Promise<WebSocket>((resolve, reject) => {
    let settled = false;
    const fail = (error: ShimError, destroy = true): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('close', onClose);
      if (destroy) socket.destroy();
      reject(error);
    };
    const onClose = (): void => fail(new ShimError('Unavailable', 'the connection closed during the WebSocket handshake'));
    const timer = setTimeout(() => fail(new ShimError('DeadlineExceeded', `WebSocket handshake not done in ${options.handshakeTimeoutMs ?? 30_000} ms`)), options.handshakeTimeoutMs ?? 30_000);
    socket.once('close', onClose);
    // checkHandshake has vetted the request; this reports anything ws still refuses.
    server.on('wsClientError', (error: Error) => {
      refuseHandshake(socket, { status: 400, message: `bad WebSocket upgrade: ${error.message}` });
      fail(new ShimError('InvalidArgument', `bad WebSocket upgrade: ${error.message}`, { cause: error }), false);
    });
    server.handleUpgrade(req, socket, head, (ws) => {
      if (settled) return void ws.terminate();
      settled = true;
      clearTimeout(timer);
      socket.off('close', onClose);
      resolve(ws);
    });
  });
}
