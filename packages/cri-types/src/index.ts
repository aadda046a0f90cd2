export * from './gen/runtime/v1/api.js';
export { type CriCallOptions } from './call-options.js';
export {
  connect,
  type ConnectOptions,
  type CriClient,
  type CriClientMethod,
  type CriImageClient,
  type CriRuntimeClient,
  type CriServiceClient,
} from './client.js';
export {
  CriError,
  criError,
  fromServiceError,
  isCriError,
  toGrpcStatus,
  type CriErrorCode,
  type CriErrorOptions,
  type CriLocalErrorCode,
} from './cri-error.js';
export { MAX_UNIX_SOCKET_PATH_BYTES, parseEndpoint, type UnixEndpoint } from './endpoint.js';
export { grpcStatusName, grpcStatusNumber, isGrpcStatusName, type GrpcStatusName } from './grpc-status.js';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, listenUnix, type UnixListener } from './listen-unix.js';
export { listenInherited } from './listen-fd.js';
export { KUBELET_MAX_RECEIVE_MESSAGE_BYTES, KUBELET_MAX_SEND_MESSAGE_BYTES, messageLimitOptions } from './message-limits.js';
export {
  addCriServices,
  addImageService,
  addRuntimeService,
  createCriServer,
  type AddServiceOptions,
  type CriCallContext,
  type CriServiceHandlers,
  type CriStreamHandler,
  type CriUnaryHandler,
  type ImageServiceHandlers,
  type RuntimeServiceHandlers,
} from './server.js';
export type { MethodDefinition, RequestOf, ResponseOf, ServiceDefinition } from './service-types.js';
export { probeSocket, type SocketState } from './socket-probe.js';
