import { describe, expect, it } from 'vitest';
import { parseEvent, parseList, parsePs, parseState, parseVersion } from './runc-parse.js';

describe('runtime output parsers', () => {
  it('parses state', () => {
    const s = parseState(
      '{"ociVersion":"1.0.2-dev","id":"a","pid":12,"status":"running","bundle":"/b","rootfs":"/b/rootfs","created":"2026-01-01T00:00:00Z","owner":""}',
    );
    expect(s).toMatchObject({ id: 'a', pid: 12, status: 'running', bundle: '/b', rootfs: '/b/rootfs' });
    expect(s.created.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('rejects unknown states', () => {
    expect(() => parseState('{"id":"a","status":"weird"}')).toThrow(/unknown status/);
    expect(() => parseState('nope')).toThrow(/invalid JSON/);
  });

  it('parses list, including runc null', () => {
    expect(parseList('null')).toEqual([]);
    expect(parseList('[{"id":"x","pid":1,"status":"created","bundle":"/b","created":"2026-01-01T00:00:00Z"}]')[0]?.id).toBe('x');
  });

  it('parses ps', () => {
    expect(parsePs('[1,2]\n')).toEqual([1, 2]);
    expect(() => parsePs('["a"]')).toThrow(/array of pids/);
  });

  it('parses events', () => {
    expect(parseEvent('{"type":"oom","id":"x"}')).toEqual({ type: 'oom', id: 'x' });
  });

  it('parses runc and crun versions', () => {
    expect(parseVersion('runc version 1.1.5+ds1\ncommit: abc\nspec: 1.0.2-dev\ngo: go1.19.8\n')).toMatchObject({
      name: 'runc',
      version: '1.1.5+ds1',
      commit: 'abc',
      spec: '1.0.2-dev',
    });
    expect(parseVersion('crun version 1.8.1\ncommit: f8a\nrundir: /run/crun\nspec: 1.0.0\n')).toMatchObject({ name: 'crun', version: '1.8.1', spec: '1.0.0' });
  });
});
