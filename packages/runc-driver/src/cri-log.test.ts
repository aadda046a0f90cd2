import { describe, expect, it } from 'vitest';
import { criLogMessages, parseCriLog } from './cri-log.js';

describe('parseCriLog', () => {
  it('parses full and partial lines of both streams', () => {
    const text = [
      '2026-11-25T17:28:35.196570083+00:00 stdout F hello',
      '2026-11-25T17:28:35.196640938+00:00 stderr F err',
      '2026-11-25T17:28:35.2+00:00 stdout P par',
      '2026-11-25T17:28:35.3+00:00 stdout F tial',
      '2026-11-25T17:28:35.4+00:00 stdout F ',
      'garbage',
      '',
    ].join('\n');
    const lines = parseCriLog(text);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({ time: '2026-11-25T17:28:35.196570083+00:00', stream: 'stdout', full: true, content: 'hello' });
    expect(criLogMessages(lines, 'stdout')).toEqual(['hello', 'partial', '']);
    expect(criLogMessages(lines, 'stderr')).toEqual(['err']);
  });
});
