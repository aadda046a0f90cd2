/**
 * The Kubernetes WebSocket channel subprotocols as kubelet's CRI streaming server serves them
 * (k8s.io/kubelet/pkg/cri/streaming, k8s.io/apimachinery/pkg/util/httpstream/wsstream).
 * Every message starts with its channel: one byte in the binary protocols, one ASCII digit
 * (`'0' + channel`) followed by the base64 of the payload in the base64 ones.
 */
export interface ChannelProtocol {
  /** The `Sec-WebSocket-Protocol` name; `''` when the client offered none (kubelet then speaks `channel.k8s.io`). */
  name: string;
  encoding: 'binary' | 'base64';
  /**
   * How the exit goes on the error channel: `'status'` a metav1.Status as JSON (v4 and later),
   * `'message'` only the message of a failure, nothing on success (the unversioned protocols).
   */
  status: 'status' | 'message';
  /** The client may half-close a channel with `[255, channel]` (v5). */
  closeSignal: boolean;
}

/** The channels of an exec or attach session. */
export const RemoteCommandChannel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

/** The first byte of the v5 close signal `[255, channel]`. */
export const CLOSE_SIGNAL = 255;

const protocol = (name: string, encoding: ChannelProtocol['encoding'], status: ChannelProtocol['status'], closeSignal = false): ChannelProtocol => ({
  name, encoding, status, closeSignal,
});

/**
 * What exec and attach accept, newest first. kubelet itself serves all but v5 over WebSocket (no
 * v2/v3 names there); v5 is v4 plus the close signal, what client-go's WebSocket executor and
 * `crictl exec --transport websocket` offer (and only that).
 */
export const REMOTE_COMMAND_PROTOCOLS: readonly ChannelProtocol[] = [
  protocol('v5.channel.k8s.io', 'binary', 'status', true),
  protocol('v4.channel.k8s.io', 'binary', 'status'),
  protocol('v4.base64.channel.k8s.io', 'base64', 'status'),
  protocol('channel.k8s.io', 'binary', 'message'),
  protocol('base64.channel.k8s.io', 'base64', 'message'),
];

/** What kubelet's WebSocket port forward accepts (a data and an error channel per port). */
export const PORT_FORWARD_PROTOCOLS: readonly ChannelProtocol[] = [
  protocol('v4.channel.k8s.io', 'binary', 'status'),
  protocol('v4.base64.channel.k8s.io', 'base64', 'status'),
];

/**
 * The subprotocol of client-go's WebSocket port-forward dialer (`NewSPDYOverWebsocketDialer`, used
 * by `kubectl port-forward` and `crictl port-forward --transport websocket`): the SPDY/3.1 session
 * of `portforward.k8s.io` carried as the bytes of binary WebSocket messages (the API server
 * tunnels it so; kubelet's CRI streaming server does not serve it).
 */
export const SPDY_TUNNEL_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** The protocol a client without `Sec-WebSocket-Protocol` gets (kubelet's `""` entry: binary channels). */
export const NO_SUBPROTOCOL: ChannelProtocol = protocol('', 'binary', 'message');

/**
 * The subprotocol to speak: as kubelet (and RFC 6455, where the client lists its protocols by
 * preference), the first offered one that is supported; `''` when nothing is offered (kubelet's
 * default entry); undefined when nothing offered is supported.
 */
export function negotiateProtocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  if (offered.length === 0) return '';
  return offered.find((name) => supported.includes(name));
}

/** The channel protocol named `name` among `protocols` ({@link NO_SUBPROTOCOL} for `''`). */
export function channelProtocol(name: string, protocols: readonly ChannelProtocol[]): ChannelProtocol | undefined {
  return name === '' ? NO_SUBPROTOCOL : protocols.find((p) => p.name === name);
}
