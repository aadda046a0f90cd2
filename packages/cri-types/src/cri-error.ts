import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { grpcStatusName, grpcStatusNumber, type GrpcStatusName } from './grpc-status.js';

/**
 * Failures that happen before or outside a gRPC call: a malformed endpoint, a
 * socket path that is missing, not a socket, refused, or already served.
 */
export type CriLocalErrorCode = 'InvalidEndpoint' | 'SocketNotFound' | 'NotASocket' | 'ConnectionRefused' | 'AddressInUse';

/** Every `CriError` code: a gRPC status name or a local failure. */
export type CriErrorCode = Exclude<GrpcStatusName, 'OK'> | CriLocalErrorCode;

// The gRPC status a local failure is reported as when it crosses the wire.
const localStatus: Readonly<Record<CriLocalErrorCode, GrpcStatusName>> = {
  InvalidEndpoint: 'InvalidArgument',
  SocketNotFound: 'Unavailable',
  NotASocket: 'FailedPrecondition',
  ConnectionRefused: 'Unavailable',
  AddressInUse: 'AlreadyExists',
};

/** Options of a `CriError` beyond code and message. */
export interface CriErrorOptions {
  /** The underlying error or abort reason. */
  cause?: unknown;
  /** The status details string as sent over gRPC (defaults to the message). */
  details?: string;
  /** Trailing metadata of a failed call, or metadata to send with the status. */
  metadata?: Metadata;
}

/**
 * The one error class of `@shimkit/cri-types`. `code` is the gRPC status name
 * (`NotFound`, `DeadlineExceeded`, ...) or a local code such as `InvalidEndpoint`;
 * `status` is the numeric gRPC status sent or received for it.
 */
export class CriError extends Error {
  override readonly name = 'CriError';
  readonly code: CriErrorCode;
  readonly status: number;
  readonly details: string;
  readonly metadata: Metadata | undefined;

  constructor(code: CriErrorCode, message: string, options: CriErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = grpcStatusNumber(code in localStatus ? localStatus[code as CriLocalErrorCode] : (code as GrpcStatusName));
    this.details = options.details ?? message;
    this.metadata = options.metadata;
  }
}

/** Shorthand for `new CriError(code, message, options)`, e.g. `criError('NotFound', 'container "x" not found')`. */
export function criError(code: CriErrorCode, message: string, options?: CriErrorOptions): CriError {
  return new CriError(code, message, options);
}

/** Whether `e` is a `CriError`, optionally with the given code (checked by code, not only by class). */
export function isCriError(e: unknown, code?: CriErrorCode): e is CriError {
  if (!(e instanceof Error) || e.name !== 'CriError' || typeof (e as CriError).code !== 'string') return false;
  return code === undefined || (e as CriError).code === code;
}

function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' && 'details' in e;
}

/**
 * Turns what a grpc-js call failed with into a `CriError`: the status name as
 * code, the status details as message (prefixed with the RPC when given).
 */
export function fromServiceError(e: unknown, rpc?: string): CriError {
  if (isCriError(e)) return e;
  if (isServiceError(e)) {
    const code = grpcStatusName(e.code);
    const safeCode: CriErrorCode = code === 'OK' ? 'Unknown' : code;
    const prefix = rpc === undefined ? '' : `${rpc}: `;
    return new CriError(safeCode, `${prefix}${e.details || code}`, { cause: e, details: e.details, metadata: e.metadata });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new CriError('Unknown', rpc === undefined ? message : `${rpc}: ${message}`, { cause: e });
}

/** The gRPC status object a server sends for an error: a `CriError` keeps its status, anything else is `Unknown`. */
export function toGrpcStatus(e: unknown): { code: number; details: string; metadata: Metadata } {
  if (isCriError(e)) return { code: e.status, details: e.details, metadata: e.metadata ?? new Metadata() };
  const details = e instanceof Error ? e.message : String(e);
  return { code: grpcStatusNumber('Unknown'), details, metadata: new Metadata() };
}
