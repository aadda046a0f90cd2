import { describe, expect, it } from 'vitest';
import { parseSyncMessage } from './conmon-sync.js';

describe('conmon sync pipe', () => {
  it('parses api-version 1 and 0 messages', () => {
    expect(parseSyncMessage('{"data": 12335}')).toEqual({ data: 12335 });
    expect(parseSyncMessage('{"data": -1, "message": "boom"}')).toEqual({ data: -1, message: 'boom' });
    expect(parseSyncMessage('{"pid": 7}')).toEqual({ data: 7 });
    expect(parseSyncMessage('nope')).toBeUndefined();
  });

});
