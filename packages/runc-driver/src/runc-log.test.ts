import { describe, expect, it } from 'vitest';
import { lastRuntimeError, parseRuntimeLog } from './runc-log.js';

describe('parseRuntimeLog', () => {
  it('parses runc lines', () => {
    const text =
      '{"level":"warning","msg":"w","time":"t1"}\n{"level":"error","msg":"container does not exist","time":"t2"}\n';
    expect(parseRuntimeLog(text)).toEqual([
      { level: 'warning', msg: 'w', time: 't1' },
      { level: 'error', msg: 'container does not exist', time: 't2' },
    ]);
  });

  it('parses crun objects written back to back and skips torn lines', () => {
    const text = '{"msg":"a","level":"error","time":"x"}{"msg":"b","level":"error"}\n{"msg":"to';
    expect(parseRuntimeLog(text).map((e) => e.msg)).toEqual(['a', 'b']);
  });

  it('finds the last error', () => {
    expect(lastRuntimeError('{"level":"error","msg":"one"}\n{"level":"info","msg":"two"}\n')).toBe('one');
    expect(lastRuntimeError('{"level":"info","msg":"two"}\n')).toBeUndefined();
    expect(lastRuntimeError('')).toBeUndefined();
  });
});
