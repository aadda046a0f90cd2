import { parseImageReference } from '@shimkit/oci-spec';
import { describe, expect, it } from 'vitest';
import { identityMatches } from './identity-match.js';

const D = `sha256:${'b'.repeat(64)}`;
const tagged = parseImageReference('example.com/ns/app:v1');
const byDigest = parseImageReference(`example.com/ns/app@${D}`);

describe('identityMatches', () => {
  it.each([
    ['matchExact', tagged, 'example.com/ns/app:v1', true],
    ['matchExact', tagged, 'example.com/ns/app:v2', false],
    ['matchExact', byDigest, 'example.com/ns/app:v1', false],
    ['matchRepoDigestOrExact', tagged, 'example.com/ns/app:v1', true],
    ['matchRepoDigestOrExact', tagged, 'example.com/ns/app:v2', false],
    ['matchRepoDigestOrExact', byDigest, 'example.com/ns/app:v7', true],
    ['matchRepoDigestOrExact', byDigest, 'example.com/ns/other:v7', false],
    ['matchRepository', tagged, 'example.com/ns/app:v9', true],
    ['matchRepository', tagged, 'example.com/ns/app2:v1', false],
  ] as const)('%s: image %o, signature claims %s -> %s', (type, image, claimed, expected) => {
    expect(identityMatches({ type }, { image: image, claimed: claimed })).toBe(expected);
  });

  it('normalises docker.io names and refuses a claim without tag or digest', () => {
    expect(identityMatches({ type: 'matchExact' }, { image: parseImageReference('busybox'), claimed: 'docker.io/library/busybox:latest' })).toBe(true);
    expect(identityMatches({ type: 'matchRepository' }, { image: tagged, claimed: 'example.com/ns/app' })).toBe(false);
    expect(identityMatches({ type: 'matchRepository' }, { image: tagged, claimed: 'Not A Reference' })).toBe(false);
  });

  it('exactReference and exactRepository ignore the image name, and work without one', () => {
    expect(identityMatches({ type: 'exactReference', dockerReference: 'vendor.example/app:1' }, { image: undefined, claimed: 'vendor.example/app:1' })).toBe(true);
    expect(identityMatches({ type: 'exactReference', dockerReference: 'vendor.example/app:1' }, { image: tagged, claimed: 'vendor.example/app:2' })).toBe(false);
    expect(identityMatches({ type: 'exactRepository', dockerRepository: 'vendor.example/app' }, { image: tagged, claimed: 'vendor.example/app:2' })).toBe(true);
    expect(identityMatches({ type: 'matchRepository' }, { image: undefined, claimed: 'vendor.example/app:2' })).toBe(false);
  });

  it('remapIdentity replaces the prefix at a name boundary, then matches repo-digest-or-exact', () => {
    const rule = { type: 'remapIdentity', prefix: 'mirror.local:5000/vendor', signedPrefix: 'vendor.example.com' } as const;
    expect(identityMatches(rule, { image: parseImageReference('mirror.local:5000/vendor/product/app:1'), claimed: 'vendor.example.com/product/app:1' })).toBe(true);
    expect(identityMatches(rule, { image: parseImageReference('mirror.local:5000/vendor/product/app:1'), claimed: 'mirror.local:5000/vendor/product/app:1' })).toBe(false);
    // `vendor2` is not under the `vendor` prefix: no remapping, so the mirror's own name must be signed.
    expect(identityMatches(rule, { image: parseImageReference('mirror.local:5000/vendor2/app:1'), claimed: 'vendor.example.com2/app:1' })).toBe(false);
    expect(identityMatches(rule, { image: parseImageReference('mirror.local:5000/vendor2/app:1'), claimed: 'mirror.local:5000/vendor2/app:1' })).toBe(true);
  });
});
