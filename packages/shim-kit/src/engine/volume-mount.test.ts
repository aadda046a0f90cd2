import { describe, expect, it } from 'vitest';
import { parseVolume } from './volume-mount.js';

describe('parseVolume', () => {
  it('reads HOST:CTR[:ro|rw]', () => {
    expect(parseVolume('/srv/data:/data')).toEqual({ source: '/srv/data', destination: '/data', readonly: false });
    expect(parseVolume('/srv/data/:/data:ro')).toEqual({ source: '/srv/data/', destination: '/data', readonly: true });
    expect(parseVolume('/a:/b:rw,z')).toEqual({ source: '/a', destination: '/b', readonly: false });
  });

  it('refuses named volumes, relative paths and unknown options', () => {
    expect(() => parseVolume('data:/data')).toThrow('invalid volume "data:/data": host path "data" is not absolute (named volumes are not supported)');
    expect(() => parseVolume('/a:b')).toThrow('container path "b" is not absolute');
    expect(() => parseVolume('/a')).toThrow('expected HOST-DIR:CONTAINER-DIR[:ro|rw]');
    expect(() => parseVolume('/a:/b:ro:x')).toThrow('expected HOST-DIR:CONTAINER-DIR[:ro|rw]');
    expect(() => parseVolume('/a:/b:noexec')).toThrow('unknown option "noexec"');
  });
});
