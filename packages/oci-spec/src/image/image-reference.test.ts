import { describe, expect, it } from 'vitest';
import { digestOf } from './digest.js';
import {
  familiarImageReference,
  formatImageReference,
  parseImageReference,
  referenceName,
  tryParseImageReference,
  withDigest,
  withTag,
} from './image-reference.js';

const D = digestOf('x');

describe('parseImageReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['user/sub/app:v1', 'docker.io/user/sub/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:dev', 'localhost:5000/app:dev'],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['Registry.Example/app', 'Registry.Example/app:latest'],
    ['Host/app', 'Host/app:latest'],
    ['my-registry:443/a__b/c.d/e-f--g', 'my-registry:443/a__b/c.d/e-f--g:latest'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`quay.io/a/b:1.0@${D}`, `quay.io/a/b:1.0@${D}`],
    ['localhost:5000', 'docker.io/library/localhost:5000'],
  ])('%s -> %s', (input, expected) => {
    expect(formatImageReference(parseImageReference(input))).toBe(expected);
  });

  it('splits into parts', () => {
    const ref = parseImageReference(`localhost:5000/team/app:1@${D}`);
    expect(ref).toEqual({ domain: 'localhost:5000', path: 'team/app', tag: '1', digest: D });
    expect(referenceName(ref)).toBe('localhost:5000/team/app');
  });

  it('can leave the tag off', () => {
    expect(parseImageReference('busybox', { defaultTag: false }).tag).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    [' busybox', /whitespace/],
    ['Busybox', /must be lowercase/],
    ['user/App', /must be lowercase/],
    ['busybox:', /invalid tag/],
    ['busybox:-x', /invalid tag/],
    [`busybox:${'a'.repeat(129)}`, /invalid tag/],
    ['busybox@sha256:abc', /expected 64 lowercase hex/],
    [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    ['a//b', /empty component/],
    ['a/b/', /empty component/],
    ['-a/b', /invalid repository path component/],
    ['a_-b', /invalid repository path component/],
    ['a..b', /invalid repository path component/],
    ['bad_host.io:x/app', /invalid/],
    [':tag', /repository name is empty/],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', /image ID/],
    [`r.io/${'a'.repeat(260)}`, /longer than 255/],
  ])('rejects %j', (input, message) => {
    expect(() => parseImageReference(input)).toThrow(message);
    expect(() => parseImageReference(input)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
    expect(tryParseImageReference(input)).toBeUndefined();
  });

  it('rejects non-strings', () => {
    expect(() => parseImageReference(3)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
  });
});

describe('formatting', () => {
  it.each([
    ['busybox', 'busybox:latest'],
    ['user/app:1', 'user/app:1'],
    ['docker.io/library/a/b', 'library/a/b:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    [`busybox@${D}`, `busybox@${D}`],
  ])('familiar form of %s is %s', (input, expected) => {
    expect(familiarImageReference(parseImageReference(input))).toBe(expected);
  });

  it('round-trips full form', () => {
    for (const input of ['busybox', `quay.io/a/b:1@${D}`, 'localhost:5000/x']) {
      const full = formatImageReference(parseImageReference(input));
      expect(formatImageReference(parseImageReference(full))).toBe(full);
    }
  });

  it('withTag / withDigest', () => {
    const ref = parseImageReference('busybox');
    expect(formatImageReference(withTag(ref, 'v2'))).toBe('docker.io/library/busybox:v2');
    expect(formatImageReference(withDigest(ref, D))).toBe(`docker.io/library/busybox:latest@${D}`);
    expect(() => withTag(ref, '.bad')).toThrow(/invalid tag/);
  });
});
