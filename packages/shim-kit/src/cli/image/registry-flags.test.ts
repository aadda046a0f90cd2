import { describe, expect, it } from 'vitest';
import { parseBool, parseCreds } from './registry-flags.js';

describe('registry flags', () => {
  it('parses USER:PASSWORD, keeping colons of the password', () => {
    expect(parseCreds('me:pa:ss', '--creds')).toEqual({ username: 'me', password: 'pa:ss' });
    expect(() => parseCreds('nopassword', '--creds')).toThrow('--creds must be USER:PASSWORD');
    expect(() => parseCreds(':x', '--creds')).toThrow();
  });

  it('parses true and false only', () => {
    expect(parseBool('--tls-verify')('false')).toBe(false);
    expect(parseBool('--tls-verify')('true')).toBe(true);
    expect(() => parseBool('--tls-verify')('no')).toThrow('--tls-verify must be true or false, not "no"');
  });
});
