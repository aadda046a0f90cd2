import type { WebSocket } from 'ws';
import { servePortForward, type PortForwardSessionOptions } from '../port-forward-session.js';
import type { SpdyConnection } from '../spdy-connection.js';
import { loadWs } from './ws-library.js';

/** Serves `portforward.k8s.io` (data/error stream pairs) over SPDY frames tunnelled in the binary messages of `ws`. */
export async function serveTunnelledPortForward(ws: WebSocket, options: PortForwardSessionOptions): Promise<SpdyConnection> {
  const { createWebSocketStream } = await loadWs();
  ws.on('message', (_data, isBinary) => {
    if (!isBinary) ws.close(1003, 'the SPDY tunnel carries binary messages only');
  });
  const bytes = createWebSocketStream(ws);
  return servePortForward(bytes, options);
}
