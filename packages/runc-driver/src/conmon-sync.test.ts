import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseSyncMessage, readSyncMessage } from './conmon-sync.js';

describe('conmon sync pipe', () => {
  it('parses api-version 1 and 0 messages', () => {
    expect(parseSyncMessage('{"data": 12335}')).toEqual({ data: 12335 });
    expect(parseSyncMessage('{"data": -1, "message": "boom"}')).toEqual({ data: -1, message: 'boom' });
    expect(parseSyncMessage('{"pid": 7}')).toEqual({ data: 7 });
    expect(parseSyncMessage('nope')).toBeUndefined();
  });

  it('reads the first message, split across chunks', async () => {
    const s = new PassThrough();
    const p = readSyncMessage(s);
    s.write('{"data"');
    s.write(': 42}\n{"data": 1}\n');
    expect(await p).toEqual({ data: 42 });
  });

  it('is undefined when the pipe closes empty', async () => {
    const s = new PassThrough();
    const p = readSyncMessage(s);
    s.end();
    expect(await p).toBeUndefined();
  });
});
