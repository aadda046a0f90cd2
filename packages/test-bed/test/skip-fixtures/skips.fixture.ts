// Tests skipped every way the repository skips them, beside two that run.
import { describe, expect, it } from 'vitest';
import { runIf } from '../../src/skip-reason.js';

describe('a suite that needs a missing tool', runIf(false, 'frobnicate is not installed'), () => {
  it('first case', () => expect('ran').toBe('never'));
  it('second case', () => expect('ran').toBe('never'));
});

it('a case that runs', () => expect(1 + 1).toBe(2));

it('a case whose tool is there', runIf(true, 'not shown: the case runs'), () => expect(true).toBe(true));

it('a case skipped at run time', (ctx) => {
  ctx.skip('no frob found at run time');
  expect('ran').toBe('never');
});

it.skip('a case skipped without a reason', () => expect('ran').toBe('never'));
