import { describe, expect, it } from 'vitest';
import { takeListenFd } from './systemd.js';

describe('takeListenFd', () => {
  it('takes fd 3 when LISTEN_PID is this process, and removes the variables either way', () => {
    const mine = { LISTEN_PID: '42', LISTEN_FDS: '1', LISTEN_FDNAMES: 'cri', OTHER: 'x' };
    expect(takeListenFd(mine, 42)).toBe(3);
    expect(mine).toEqual({ OTHER: 'x' });
    // meant for another process (a parent that was activated and started us)
    const theirs = { LISTEN_PID: '41', LISTEN_FDS: '1' };
    expect(takeListenFd(theirs, 42)).toBeUndefined();
    expect(theirs).toEqual({});
    expect(takeListenFd({}, 42)).toBeUndefined();
    expect(takeListenFd({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42)).toBeUndefined();
  });

  it('refuses more than one socket, naming LISTEN_FDS', () => {
    expect(() => takeListenFd({ LISTEN_PID: '42', LISTEN_FDS: '2' }, 42)).toThrow('socket activation: serve listens on one socket, systemd passed LISTEN_FDS=2');
  });
});
