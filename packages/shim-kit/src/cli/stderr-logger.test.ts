import { describe, expect, it } from 'vitest';
import { parseLogLevel, StderrLogger } from './stderr-logger.js';

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

  it('parses level names', () => {
    expect(parseLogLevel('warn')).toBe('warn');
    expect(parseLogLevel('loud')).toBeUndefined();
  });
});
