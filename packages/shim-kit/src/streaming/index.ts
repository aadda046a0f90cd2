export { SpdyError, isSpdyError, type SpdyErrorReason } from './spdy-error.js';
export { SPDY3_DICTIONARY } from './spdy-dictionary.js';
export {
  SpdyHeaderCompressor, SpdyHeaderDecompressor, encodeHeaderBlock, decodeHeaderBlock, DEFAULT_MAX_HEADER_BLOCK_LENGTH, type SpdyHeaders,
} from './spdy-header-block.js';
export * from './spdy-frames.js';
export { SpdyConnection, SPDY_INITIAL_WINDOW, type SpdyConnectionOptions } from './spdy-connection.js';
export { SpdyStream } from './spdy-stream.js';
export { processExecRunner, type ExecRequest, type ExecRunner, type ExecStreams } from './exec-runner.js';
export { exitStatus, internalErrorStatus, type ExecStatus } from './exec-status.js';
export { StreamingServer, EXEC_PROTOCOL_V4, PORT_FORWARD_PROTOCOL_V1, type StreamingServerOptions } from './streaming-server.js';
export { backendExecRunner } from './backend-exec-runner.js';
export { noStreaming, type StreamingEndpoint } from './streaming-endpoint.js';
export { backendAttachRunner, type AttachRequest, type AttachRunner } from './attach-runner.js';
export { acceptSpdyRemoteCommand } from './spdy-remote-command.js';
export type { RemoteCommandOptions, RemoteCommandSession, RemoteCommandStreams, TerminalSize } from './remote-command.js';
export { readTerminalSizes } from './terminal-sizes.js';
export { pipeOutput } from './pipe-output.js';
export { relayExec } from './relay-exec.js';
export { netnsPortForwarder, type PortForwarder, type PortForwardTarget } from './port-forwarder.js';
export { servePortForward, type PortForwardSessionOptions } from './port-forward-session.js';
