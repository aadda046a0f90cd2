import { describe, expect, it } from 'vitest';
import { runInCall } from '../observe/call-context.js';
import { parseLogFormat, parseLogLevel, StderrLogger } from './stderr-logger.js';

describe('StderrLogger', () => {
  it('writes one line per call at or above its level, fields as key=value', () => {
    const lines: string[] = [];
    const log = new StderrLogger({ level: 'info', write: (l) => lines.push(l), now: () => new Date(0) });
    log.debug('hidden');
    log.info('shim listening', { socket: '/run/x.sock', n: 2 });
    log.error('handler failed', { error: new Error('boom here'), skip: undefined });
    expect(lines).toEqual([
      '1970-01-01T00:00:00.000Z INFO  shim listening socket=/run/x.sock n=2\n',
      '1970-01-01T00:00:00.000Z ERROR handler failed error="boom here"\n',
    ]);
  });

  it('writes one JSON object per line with time, level, msg and the fields (errors as their message, bigints as strings)', () => {
    const lines: string[] = [];
    const log = new StderrLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l), now: () => new Date(0) });
    log.debug('pulled', { image: 'busybox', size: 12n, error: new Error('a "quoted" failure\nsecond line') });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(lines[0]?.split('\n')).toHaveLength(2); // the newline in the message is escaped, not a second line
    expect(JSON.parse(lines[0] ?? '')).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'debug', msg: 'pulled', image: 'busybox', size: '12', error: 'a "quoted" failure\nsecond line' });
  });

  it('adds the request id and RPC of the CRI call being served to every line, through awaits, in both formats', async () => {
    const lines: string[] = [];
    const text = new StderrLogger({ write: (l) => lines.push(l), now: () => new Date(0) });
    const json = new StderrLogger({ format: 'json', write: (l) => lines.push(l), now: () => new Date(0) });
    await runInCall({ requestId: 'req-1', rpc: 'StopPodSandbox' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      text.info('stopping', { id: 'p1' });
      json.info('stopping', { id: 'p1' });
    });
    text.info('outside');
    expect(lines[0]).toBe('1970-01-01T00:00:00.000Z INFO  stopping rpc=StopPodSandbox id=p1 requestId=req-1\n');
    expect(JSON.parse(lines[1] ?? '')).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'stopping', rpc: 'StopPodSandbox', id: 'p1', requestId: 'req-1' });
    expect(lines[2]).toBe('1970-01-01T00:00:00.000Z INFO  outside\n');
  });

  it('parses level and format names', () => {
    expect(parseLogLevel('warn')).toBe('warn');
    expect(parseLogLevel('loud')).toBeUndefined();
    expect(parseLogFormat('json')).toBe('json');
    expect(parseLogFormat('yaml')).toBeUndefined();
  });
});
