/** Largest message accepted from a client by default (kubelet's Go library allows 32 MiB; clients send stdin in chunks of 32 KiB or less). */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Transport options shared by the WebSocket sessions. */
export interface WebSocketTransportOptions {
  /** Largest message accepted from the client, in bytes (default 1 MiB); a larger one closes the connection with 1009. */
  maxPayload?: number;
  /** Closes the connection when no data went either way for this long (kubelet's stream idle timeout; default: never). Channel protocols only: the SPDY tunnel has its own pings. */
  idleTimeoutMs?: number;
  /** How long the handshake may take (default 30 s). */
  handshakeTimeoutMs?: number;
}
