import { createWebSocketStream, type WebSocket } from 'ws';
import { servePortForward, type PortForwardSessionOptions } from '../port-forward-session.js';
import type { SpdyConnection } from '../spdy-connection.js';

/**
 * The subprotocol of client-go's WebSocket port-forward dialer (`NewSPDYOverWebsocketDialer`, used
 * by `kubectl port-forward` and `crictl port-forward --transport websocket`): the SPDY/3.1 session
 * of `portforward.k8s.io` carried as the bytes of binary WebSocket messages (the API server
 * tunnels it so; kubelet's CRI streaming server does not serve it).
 */
export const SPDY_TUNNEL_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** Serves `portforward.k8s.io` (data/error stream pairs) over SPDY frames tunnelled in the binary messages of `ws`. */
export function serveTunnelledPortForward(ws: WebSocket, options: PortForwardSessionOptions): SpdyConnection {
  ws.on('message', (_data, isBinary) => {
    if (!isBinary) ws.close(1003, 'the SPDY tunnel carries binary messages only');
  });
  const bytes = createWebSocketStream(ws);
  return servePortForward(bytes, options);
}
