import { describe, expect, it } from 'vitest';
import { resolveIdPrefix } from './list-filters.js';

describe('resolveIdPrefix', () => {
  const records = [{ id: 'abc123' }, { id: 'abc456' }, { id: 'abc' }, { id: 'f00d' }];
  it('takes an exact id first, even when it is also a prefix of others', () => {
    expect(resolveIdPrefix('abc', records)).toBe('abc');
    expect(resolveIdPrefix('abc123', records)).toBe('abc123');
  });
  it('resolves a prefix of exactly one id to that id', () => {
    expect(resolveIdPrefix('f0', records)).toBe('f00d');
    expect(resolveIdPrefix('abc4', records)).toBe('abc456');
  });
  it('leaves an ambiguous, unknown or empty prefix as given', () => {
    expect(resolveIdPrefix('ab', records)).toBe('ab');
    expect(resolveIdPrefix('zz', records)).toBe('zz');
    expect(resolveIdPrefix('', records)).toBe('');
    expect(resolveIdPrefix('f0', [])).toBe('f0');
  });
});
