import { describe, expect, it } from 'vitest';
import { RuncError, classifyRuntimeMessage, isRuncError } from './runc-error.js';

describe('classifyRuntimeMessage', () => {
  it.each([
    ['container does not exist', 'NOT_FOUND'],
    ['error opening file `/run/crun/nope/status`: No such file or directory', 'NOT_FOUND'],
    ["cannot open directory '/run/crun/x': No such file or directory", 'NOT_FOUND'],
    ['runc create failed: container with given ID already exists', 'ALREADY_EXISTS'],
    ['container `d1` already exists', 'ALREADY_EXISTS'],
    ['runc create failed: chdir /nonexist: no such file or directory', 'BUNDLE_NOT_FOUND'],
    ['chdir `/nonexist` failed: No such file or directory', 'BUNDLE_NOT_FOUND'],
    ["runc create failed: invalid character 'b' looking for beginning of object key string", 'INVALID_CONFIG'],
    ['error loading config.json', 'INVALID_CONFIG'],
    ['unknown command events', 'UNSUPPORTED'],
    ['cannot pause a stopped container', 'INVALID_STATE'],
    ['container not running', 'INVALID_STATE'],
    ['something else', 'COMMAND_FAILED'],
  ] as const)('%s -> %s', (message, code) => {
    expect(classifyRuntimeMessage(message)).toBe(code);
  });
});

describe('isRuncError', () => {
  it('checks class and code', () => {
    const e = new RuncError('NOT_FOUND', 'x', { argv: ['runc', 'state', 'a'], exitCode: 1 });
    expect(isRuncError(e)).toBe(true);
    expect(isRuncError(e, 'NOT_FOUND')).toBe(true);
    expect(isRuncError(e, 'ABORTED')).toBe(false);
    expect(isRuncError(new Error('x'))).toBe(false);
    expect(e.argv).toEqual(['runc', 'state', 'a']);
    expect(e.exitCode).toBe(1);
  });
});
