import { status as GrpcStatus } from '@grpc/grpc-js';

/** gRPC status names as CRI clients see them, e.g. `NotFound` for status 5. */
export type GrpcStatusName =
  | 'OK'
  | 'Cancelled'
  | 'Unknown'
  | 'InvalidArgument'
  | 'DeadlineExceeded'
  | 'NotFound'
  | 'AlreadyExists'
  | 'PermissionDenied'
  | 'ResourceExhausted'
  | 'FailedPrecondition'
  | 'Aborted'
  | 'OutOfRange'
  | 'Unimplemented'
  | 'Internal'
  | 'Unavailable'
  | 'DataLoss'
  | 'Unauthenticated';

const numberByName: Readonly<Record<GrpcStatusName, GrpcStatus>> = {
  OK: GrpcStatus.OK,
  Cancelled: GrpcStatus.CANCELLED,
  Unknown: GrpcStatus.UNKNOWN,
  InvalidArgument: GrpcStatus.INVALID_ARGUMENT,
  DeadlineExceeded: GrpcStatus.DEADLINE_EXCEEDED,
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  PermissionDenied: GrpcStatus.PERMISSION_DENIED,
  ResourceExhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  FailedPrecondition: GrpcStatus.FAILED_PRECONDITION,
  Aborted: GrpcStatus.ABORTED,
  OutOfRange: GrpcStatus.OUT_OF_RANGE,
  Unimplemented: GrpcStatus.UNIMPLEMENTED,
  Internal: GrpcStatus.INTERNAL,
  Unavailable: GrpcStatus.UNAVAILABLE,
  DataLoss: GrpcStatus.DATA_LOSS,
  Unauthenticated: GrpcStatus.UNAUTHENTICATED,
};

const nameByNumber = new Map<number, GrpcStatusName>(
  Object.entries(numberByName).map(([name, value]) => [value, name as GrpcStatusName]),
);

/** The numeric gRPC status of a status name (`NotFound` -> 5). */
export function grpcStatusNumber(name: GrpcStatusName): GrpcStatus {
  return numberByName[name];
}

/** The status name of a numeric gRPC status; numbers outside the spec give `Unknown`. */
export function grpcStatusName(code: number): GrpcStatusName {
  return nameByNumber.get(code) ?? 'Unknown';
}

/** Whether a string is one of the gRPC status names. */
export function isGrpcStatusName(value: string): value is GrpcStatusName {
  return Object.hasOwn(numberByName, value);
}
