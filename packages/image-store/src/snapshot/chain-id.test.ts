import { createHash } from 'node:crypto';
import type { Digest } from '@shimkit/oci-spec';
import { describe, expect, it } from 'vitest';
import { chainIds } from './chain-id.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;

describe('chainIds', () => {
  it('follows the image-spec definition', () => {
    const [a, b, c] = [d('a'), d('b'), d('c')];
    const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
    const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`;
    expect(chainIds([a, b, c])).toEqual([a, ab, abc]);
    expect(chainIds([])).toEqual([]);
  });
});
