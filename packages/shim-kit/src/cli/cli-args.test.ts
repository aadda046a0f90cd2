import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';

describe('parseCliArgs', () => {
  it('parses serve with its options, --help and --version', () => {
    expect(parseCliArgs(['serve', '--socket', '/run/s.sock', '--root', '/r', '--state', '/s', '--config', 'c.json', '--log-level', 'debug'])).toEqual({
      kind: 'serve',
      socket: '/run/s.sock',
      root: '/r',
      state: '/s',
      config: 'c.json',
      logLevel: 'debug',
    });
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['serve', '-h'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['--version'])).toEqual({ kind: 'version' });
  });

  it('names what is wrong', () => {
    expect(() => parseCliArgs([])).toThrow('no command given');
    expect(() => parseCliArgs(['run'])).toThrow('unknown command "run"');
    expect(() => parseCliArgs(['serve', '--socket', 's'])).toThrow('serve needs --root, --state');
    expect(() => parseCliArgs(['serve', '--sock', 's'])).toThrow(/--sock/);
    expect(() => parseCliArgs(['serve', '--socket', 's', '--root', 'r', '--state', 's', '--log-level', 'loud'])).toThrow('--log-level must be debug, info, warn or error, not "loud"');
    expect(() => parseCliArgs(['serve', 'x', '--socket', 's', '--root', 'r', '--state', 's'])).toThrow('unexpected argument "x"');
  });
});
