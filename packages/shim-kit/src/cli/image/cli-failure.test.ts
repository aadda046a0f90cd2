import { ImageStoreError } from '@shimkit/image-store';
import { describe, expect, it } from 'vitest';
import { describeFailure } from './cli-failure.js';

describe('describeFailure', () => {
  it('names what failed, the cause chain once each, and the error code', () => {
    const inner = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const e = new ImageStoreError('REGISTRY_NETWORK', 'GET http://127.0.0.1:1/v2/: fetch failed', { cause: inner });
    expect(describeFailure('copy of docker://a to oci:b', e)).toBe('copy of docker://a to oci:b: GET http://127.0.0.1:1/v2/: fetch failed: connect ECONNREFUSED 127.0.0.1:1 [REGISTRY_NETWORK]');
    expect(describeFailure('x', new Error('boom'))).toBe('x: boom');
  });
});
