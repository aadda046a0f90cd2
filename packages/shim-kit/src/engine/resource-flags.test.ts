import { describe, expect, it } from 'vitest';
import { parseCpus, parseMemory } from './resource-flags.js';

describe('resource flags', () => {
  it('reads memory limits with units', () => {
    expect(parseMemory('64m')).toBe(64 * 1024 * 1024);
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('10000000')).toBe(10_000_000);
    expect(() => parseMemory('lots')).toThrow('invalid memory limit "lots"');
    expect(() => parseMemory('1m')).toThrow('the minimum is 6m');
  });

  it('turns --cpus into a CFS quota over a 100 ms period', () => {
    expect(parseCpus('0.5')).toEqual({ quota: 50_000, period: 100_000 });
    expect(parseCpus('2')).toEqual({ quota: 200_000, period: 100_000 });
    expect(() => parseCpus('0')).toThrow('expected a positive number');
    expect(() => parseCpus('many')).toThrow('invalid --cpus "many"');
  });
});
