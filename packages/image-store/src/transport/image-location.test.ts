import { describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import { parseImageLocation } from './image-location.js';

describe('parseImageLocation', () => {
  it('parses every transport', () => {
    expect(parseImageLocation('docker://busybox')).toMatchObject({ transport: 'docker', ref: { domain: 'docker.io', path: 'library/busybox' } });
    expect(parseImageLocation('oci:/tmp/x:v1')).toEqual({ transport: 'oci', dir: '/tmp/x', refName: 'v1' });
    expect(parseImageLocation('oci:/tmp/x')).toEqual({ transport: 'oci', dir: '/tmp/x' });
    expect(parseImageLocation('oci-archive:a.tar:latest')).toEqual({ transport: 'oci-archive', file: 'a.tar', refName: 'latest' });
    expect(parseImageLocation('docker-archive:a.tar:127.0.0.1:5000/app:v2')).toMatchObject({ transport: 'docker-archive', file: 'a.tar', ref: { domain: '127.0.0.1:5000', path: 'app', tag: 'v2' } });
    expect(parseImageLocation('store:example.com/app:v1')).toEqual({ transport: 'store', image: 'example.com/app:v1' });
  });

  it('refuses unknown transports, missing paths and bad references', () => {
    for (const bad of ['ftp://x', 'busybox', 'docker:busybox', 'oci:', 'store:', 'docker://UPPER']) {
      expect(() => parseImageLocation(bad), bad).toThrow();
      try {
        parseImageLocation(bad);
      } catch (e) {
        expect(isImageStoreError(e, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
    expect(() => parseImageLocation('ftp://x')).toThrow(/unknown transport in "ftp:\/\/x": expected docker:\/\/\.\.\., oci:\.\.\./);
  });
});
