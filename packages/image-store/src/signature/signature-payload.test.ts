import type { Digest } from '@shimkit/oci-spec';
import { describe, expect, it } from 'vitest';
import { buildSignaturePayload, parseSignaturePayload, SIGSTORE_PAYLOAD_TYPE, SIMPLE_SIGNING_TYPE } from './signature-payload.js';

const digest = `sha256:${'a'.repeat(64)}` as Digest;
const doc = (critical: object, optional: unknown = {}) => Buffer.from(JSON.stringify({ critical, optional }));
const good = { type: SIMPLE_SIGNING_TYPE, image: { 'docker-manifest-digest': digest }, identity: { 'docker-reference': 'example.com/app:v1' } };

describe('signature payload', () => {
  it('round-trips a claim with the optional creator and timestamp', () => {
    const bytes = buildSignaturePayload(SIGSTORE_PAYLOAD_TYPE, { manifestDigest: digest, dockerReference: 'example.com/app:v1', creator: 'shimkit', timestamp: 1700000000 });
    expect(JSON.parse(bytes.toString())).toEqual({
      critical: { identity: { 'docker-reference': 'example.com/app:v1' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: { creator: 'shimkit', timestamp: 1700000000 },
    });
    expect(parseSignaturePayload(bytes, SIGSTORE_PAYLOAD_TYPE)).toEqual({ manifestDigest: digest, dockerReference: 'example.com/app:v1', creator: 'shimkit', timestamp: 1700000000 });
  });

  it('accepts cosign\'s null optional and unknown optional members', () => {
    expect(parseSignaturePayload(doc(good, null), SIMPLE_SIGNING_TYPE).dockerReference).toBe('example.com/app:v1');
    expect(parseSignaturePayload(doc(good, { 'io.example': 1 }), SIMPLE_SIGNING_TYPE).manifestDigest).toBe(digest);
  });

  it.each([
    ['not JSON', Buffer.from('{'), 'not JSON'],
    ['another type', doc({ ...good, type: 'something else' }), 'critical.type is "something else"'],
    ['the other format\'s type', doc({ ...good, type: SIGSTORE_PAYLOAD_TYPE }), 'expected "atomic container signature"'],
    ['an unknown critical member', doc({ ...good, extra: 1 }), 'critical has an unexpected member "extra"'],
    ['an unknown image member', doc({ ...good, image: { ...good.image, more: 1 } }), 'critical.image has an unexpected member "more"'],
    ['a bad digest', doc({ ...good, image: { 'docker-manifest-digest': 'sha256:zz' } }), 'is not a digest'],
    ['no identity', doc({ type: good.type, image: good.image }), 'critical lacks "identity"'],
    ['a bad timestamp', doc(good, { timestamp: 'soon' }), 'optional.timestamp is not an integer'],
    ['a third top-level member', Buffer.from(JSON.stringify({ critical: good, optional: {}, x: 1 })), 'unexpected member "x"'],
  ])('refuses %s', (_, bytes, message) => {
    expect(() => parseSignaturePayload(bytes, SIMPLE_SIGNING_TYPE)).toThrow(message);
  });
});
