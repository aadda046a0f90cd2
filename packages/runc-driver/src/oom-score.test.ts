import { describe, expect, it } from 'vitest';
import { clampOomScoreAdj, oomScoreLimits } from './oom-score.js';

describe('oom score clamping', () => {
  it('raises values below the current one only without the capability', () => {
    expect(clampOomScoreAdj(-997, { current: 0, canLower: false })).toBe(0);
    expect(clampOomScoreAdj(500, { current: 0, canLower: false })).toBe(500);
    expect(clampOomScoreAdj(-997, { current: 0, canLower: true })).toBe(-997);
    expect(clampOomScoreAdj(undefined, { current: 0, canLower: false })).toBeUndefined();
  });

  it('reads this process limits', async () => {
    const limits = await oomScoreLimits();
    expect(Number.isInteger(limits.current)).toBe(true);
    expect(typeof limits.canLower).toBe('boolean');
  });
});
