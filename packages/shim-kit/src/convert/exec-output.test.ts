import { describe, expect, it } from 'vitest';
import { fitExecOutput } from './exec-output.js';

const b = (n: number): Buffer => Buffer.alloc(n, 'x');

describe('fitExecOutput', () => {
  it('keeps output that fits', () => {
    const r = fitExecOutput(b(3), b(4), 10);
    expect([r.stdout.length, r.stderr.length]).toEqual([3, 4]);
  });

  it('gives each stream half the budget, and lends what one leaves unused to the other', () => {
    expect(Object.values(fitExecOutput(b(100), b(100), 10)).map((x) => x.length)).toEqual([5, 5]);
    expect(Object.values(fitExecOutput(b(100), b(2), 10)).map((x) => x.length)).toEqual([8, 2]);
    expect(Object.values(fitExecOutput(b(1), b(100), 10)).map((x) => x.length)).toEqual([1, 9]);
  });
});
