import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from './json-codec.js';

describe('json codec', () => {
  it('round-trips bigints, Buffers and Uint8Arrays (as Buffers)', () => {
    const value = { n: 2n ** 70n, neg: -5n, b: Buffer.from([0, 255, 1]), u: new Uint8Array([7, 8]), s: 'x', nested: [{ t: 1n }] };
    const back = decodeJson(encodeJson(value)) as typeof value;
    expect(back.n).toBe(2n ** 70n);
    expect(back.neg).toBe(-5n);
    expect(Buffer.isBuffer(back.b) && back.b.equals(Buffer.from([0, 255, 1]))).toBe(true);
    expect(Buffer.isBuffer(back.u)).toBe(true);
    expect(back.nested[0]?.t).toBe(1n);
  });

  it('leaves ordinary objects with other keys alone and throws on malformed text', () => {
    expect(decodeJson('{"$bigint":"1","other":2}')).toEqual({ $bigint: '1', other: 2 });
    expect(() => decodeJson('{')).toThrow(SyntaxError);
  });
});
