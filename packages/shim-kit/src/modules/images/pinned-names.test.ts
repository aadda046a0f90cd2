import { describe, expect, it } from 'vitest';
import { isShimError } from '../../errors.js';
import { pinnedNames } from './pinned-names.js';

describe('pinnedNames', () => {
  it('normalizes tags and digest references and keeps ids', () => {
    const id = `sha256:${'a'.repeat(64)}`;
    expect([...pinnedNames(['pause:3.9', `registry.k8s.io/pause@${id}`, id])]).toEqual([
      'docker.io/library/pause:3.9',
      `registry.k8s.io/pause@${id}`,
      id,
    ]);
  });

  it('refuses a bad reference, naming it', () => {
    expect(() => pinnedNames(['Bad Name'])).toThrow(/pinned image "Bad Name"/);
    try {
      pinnedNames(['Bad Name']);
    } catch (e) {
      expect(isShimError(e, 'InvalidArgument')).toBe(true);
    }
  });
});
