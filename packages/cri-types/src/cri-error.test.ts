import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CriError, criError, fromServiceError, isCriError, toGrpcStatus } from './cri-error.js';
import { grpcStatusName, grpcStatusNumber, isGrpcStatusName } from './grpc-status.js';

describe('CriError', () => {
  it('carries the status name, the numeric status, details and cause', () => {
    const cause = new Error('disk gone');
    const e = criError('NotFound', 'container "x" not found', { cause });
    expect(e).toBeInstanceOf(CriError);
    expect(e).toMatchObject({ name: 'CriError', code: 'NotFound', status: status.NOT_FOUND, details: 'container "x" not found', cause });
  });

  it('maps local codes to a gRPC status for the wire', () => {
    expect(criError('InvalidEndpoint', 'x').status).toBe(status.INVALID_ARGUMENT);
    expect(criError('SocketNotFound', 'x').status).toBe(status.UNAVAILABLE);
    expect(criError('AddressInUse', 'x').status).toBe(status.ALREADY_EXISTS);
  });

  it('isCriError checks the code, not only the class', () => {
    const e = criError('DeadlineExceeded', 'late');
    expect(isCriError(e)).toBe(true);
    expect(isCriError(e, 'DeadlineExceeded')).toBe(true);
    expect(isCriError(e, 'NotFound')).toBe(false);
    expect(isCriError(new Error('plain'))).toBe(false);
    expect(isCriError({ name: 'CriError', code: 'NotFound' })).toBe(false);
    expect(isCriError(undefined)).toBe(false);
  });

  it('fromServiceError turns a grpc-js error into a CriError naming the RPC', () => {
    const raw = Object.assign(new Error('5 NOT_FOUND: no such pod'), { code: status.NOT_FOUND, details: 'no such pod', metadata: new Metadata() });
    const e = fromServiceError(raw, 'RuntimeService.PodSandboxStatus');
    expect(e).toMatchObject({ code: 'NotFound', status: 5, details: 'no such pod', message: 'RuntimeService.PodSandboxStatus: no such pod' });
    expect(e.cause).toBe(raw);
    expect(fromServiceError(new TypeError('boom')).code).toBe('Unknown');
    expect(fromServiceError(e)).toBe(e);
  });

  it('toGrpcStatus keeps a CriError status and answers Unknown for anything else', () => {
    expect(toGrpcStatus(criError('AlreadyExists', 'name taken'))).toMatchObject({ code: status.ALREADY_EXISTS, details: 'name taken' });
    expect(toGrpcStatus(new Error('bug'))).toMatchObject({ code: status.UNKNOWN, details: 'bug' });
    expect(toGrpcStatus('weird')).toMatchObject({ code: status.UNKNOWN, details: 'weird' });
  });
});

describe('gRPC status names', () => {
  it('round-trips every name and number', () => {
    for (let code = 0; code <= 16; code++) expect(grpcStatusNumber(grpcStatusName(code))).toBe(code);
    expect(grpcStatusName(99)).toBe('Unknown');
    expect(isGrpcStatusName('NotFound')).toBe(true);
    expect(isGrpcStatusName('NOT_FOUND')).toBe(false);
  });
});
