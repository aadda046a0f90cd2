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
    expect(parseCliArgs(['serve', '--socket', 's', '--root', 'r', '--state', 't', '--log-format', 'json', '--metrics-address', '127.0.0.1:9090', '--tracing-endpoint', '127.0.0.1:4317'])).toEqual({
      kind: 'serve',
      socket: 's',
      root: 'r',
      state: 't',
      logFormat: 'json',
      metricsAddress: '127.0.0.1:9090',
      tracingEndpoint: '127.0.0.1:4317',
    });
    expect(parseCliArgs(['serve', '--socket', 's', '--root', 'r', '--state', 't', '--metrics-address', 'unix:///run/shimkit/metrics.sock'])).toMatchObject({ metricsAddress: 'unix:///run/shimkit/metrics.sock' });
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
    const serve = ['serve', '--socket', 's', '--root', 'r', '--state', 's'];
    expect(() => parseCliArgs([...serve, '--log-format', 'yaml'])).toThrow('--log-format must be text or json, not "yaml"');
    expect(() => parseCliArgs([...serve, '--metrics-address', '9090'])).toThrow('--metrics-address: "9090" is not a metrics address: expected host:port');
    expect(() => parseCliArgs([...serve, '--metrics-address', 'localhost:70000'])).toThrow('"localhost:70000" is not a metrics address');
    expect(() => parseCliArgs([...serve, '--metrics-address', 'metrics.sock'])).toThrow('"metrics.sock" is not a metrics address');
    expect(() => parseCliArgs([...serve, '--tracing-endpoint', ''])).toThrow('--tracing-endpoint needs a value');
  });
});
