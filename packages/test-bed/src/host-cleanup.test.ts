import { describe, expect, it } from 'vitest';
import { isUnder, splitRule } from './host-cleanup.js';

describe('splitRule', () => {
  it('splits an iptables-save line with quoted comments', () => {
    const rule = '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"stbabcdef\\" id: \\"123\\"" -j CNI-DN-1';
    expect(splitRule(rule)).toEqual(['-A', 'CNI-HOSTPORT-DNAT', '-p', 'tcp', '-m', 'comment', '--comment', 'dnat name: "stbabcdef" id: "123"', '-j', 'CNI-DN-1']);
  });
  it('keeps an empty quoted argument', () => {
    expect(splitRule('-A X --comment "" -j Y')).toEqual(['-A', 'X', '--comment', '', '-j', 'Y']);
  });
});

describe('isUnder', () => {
  it('matches the dir and paths inside it only', () => {
    expect(isUnder('/tmp/a', '/tmp/a')).toBe(true);
    expect(isUnder('/tmp/a/b', '/tmp/a')).toBe(true);
    expect(isUnder('/tmp/ab', '/tmp/a')).toBe(false);
  });
});
