import { describe, expect, it } from 'vitest';
import { checkId, globalArgs, signalNumber } from './runc-args.js';
import { isRuncError } from './runc-error.js';

describe('globalArgs', () => {
  it('orders global flags before the verb', () => {
    expect(
      globalArgs({ root: '/r', logFile: '/l', logFormat: 'json', systemdCgroup: true, rootless: 'auto', extraArgs: ['--x'] }),
    ).toEqual(['--log', '/l', '--log-format', 'json', '--root', '/r', '--systemd-cgroup', '--rootless=auto', '--x']);
    expect(globalArgs({})).toEqual([]);
    expect(globalArgs({ rootless: false })).toEqual(['--rootless=false']);
  });
});

describe('signalNumber', () => {
  it('accepts names, bare names and numbers', () => {
    expect(signalNumber('SIGKILL')).toBe(9);
    expect(signalNumber('term')).toBe(15);
    expect(signalNumber(3)).toBe(3);
  });
  it('rejects unknown signals', () => {
    expect(() => signalNumber('SIGNOPE')).toThrow(/unknown signal SIGNOPE/);
    expect(() => signalNumber(0)).toThrow(/invalid signal number/);
  });
});

describe('checkId', () => {
  it('accepts runc ids and rejects flags and paths', () => {
    expect(() => checkId('abc-1.2_x', 'create')).not.toThrow();
    for (const bad of ['', '-rf', '../x', 'a/b', 'a b']) {
      let err: unknown;
      try {
        checkId(bad, 'create');
      } catch (e) {
        err = e;
      }
      expect(isRuncError(err, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});
