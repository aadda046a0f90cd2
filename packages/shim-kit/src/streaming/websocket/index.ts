export { acceptWebSocketRemoteCommand, WebSocketRemoteCommandSession, type WebSocketRemoteCommandOptions } from './websocket-remote-command.js';
export { acceptWebSocketPortForward, WebSocketPortForwardSession, portsFromQuery, type WebSocketPortForwardOptions } from './websocket-port-forward.js';
export { isWebSocketUpgrade, checkHandshake, refuseHandshake, type HandshakeRefusal } from './handshake.js';
export {
  REMOTE_COMMAND_PROTOCOLS, PORT_FORWARD_PROTOCOLS, NO_SUBPROTOCOL, RemoteCommandChannel, CLOSE_SIGNAL, negotiateProtocol, channelProtocol,
  SPDY_TUNNEL_PORT_FORWARD_PROTOCOL, type ChannelProtocol,
} from './channel-protocols.js';
export { DEFAULT_MAX_PAYLOAD, type WebSocketTransportOptions } from './transport-options.js';
