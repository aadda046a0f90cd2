import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clampOomScoreAdj, oomScoreLimits } from './oom-score.js';

describe('oom score clamping', () => {
  it('raises values below the current one only without the capability, and keeps every value in range', () => {
    expect(clampOomScoreAdj(-997, { current: 0, canLower: false })).toBe(0);
    expect(clampOomScoreAdj(500, { current: 0, canLower: false })).toBe(500);
    expect(clampOomScoreAdj(-997, { current: 0, canLower: true })).toBe(-997);
    expect(clampOomScoreAdj(-5000, { current: -2000, canLower: true })).toBe(-1000);
    expect(clampOomScoreAdj(5000, { current: 0, canLower: false })).toBe(1000);
    expect(clampOomScoreAdj(undefined, { current: 0, canLower: false })).toBeUndefined();
  });

  it('reads this process limits', () => {
    const limits = oomScoreLimits();
    expect(limits.current).toBe(Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()));
    expect(typeof limits.canLower).toBe('boolean');
  });
});
