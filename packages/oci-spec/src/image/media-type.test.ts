import { describe, expect, it } from 'vitest';
import {
  isDockerMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isNonDistributableMediaType,
  layerCompression,
  MediaType,
  mediaTypeKind,
  parseMediaType,
} from './media-type.js';

describe('media types', () => {
  it('classifies OCI and Docker types', () => {
    expect(isIndexMediaType(MediaType.OciIndex)).toBe(true);
    expect(isIndexMediaType(MediaType.DockerManifestList)).toBe(true);
    expect(isManifestMediaType(MediaType.DockerManifest)).toBe(true);
    expect(mediaTypeKind(MediaType.DockerConfig)).toBe('config');
    expect(mediaTypeKind(MediaType.OciEmpty)).toBe('empty');
    expect(isDockerMediaType(MediaType.DockerLayerGzip)).toBe(true);
    expect(isDockerMediaType(MediaType.OciLayerGzip)).toBe(false);
    expect(isNonDistributableMediaType(MediaType.DockerForeignLayerGzip)).toBe(true);
    expect(isNonDistributableMediaType(MediaType.OciNonDistributableLayerZstd)).toBe(true);
    expect(mediaTypeKind(`${MediaType.OciManifest}; charset=utf-8`)).toBe('manifest');
  });

  it('tolerates unknown types', () => {
    expect(parseMediaType('application/vnd.example.thing+json')).toBe('application/vnd.example.thing+json');
    expect(mediaTypeKind('application/vnd.example.thing+json')).toBe('unknown');
    expect(layerCompression('application/vnd.example.layer.tar+zstd')).toBe('zstd');
    expect(layerCompression('application/json')).toBeUndefined();
  });

  it('knows layer compression', () => {
    expect(layerCompression(MediaType.OciLayerTar)).toBe('none');
    expect(layerCompression(MediaType.OciLayerGzip)).toBe('gzip');
    expect(layerCompression(MediaType.OciLayerZstd)).toBe('zstd');
    expect(layerCompression(MediaType.DockerLayerGzip)).toBe('gzip');
    expect(layerCompression(MediaType.DockerLayerZstd)).toBe('zstd');
  });

  it('rejects malformed media types', () => {
    for (const bad of ['', 'json', 'application/', '/json', 'a/b c', 7, 'a/b;']) {
      expect(() => parseMediaType(bad)).toThrow(expect.objectContaining({ code: 'INVALID_MEDIA_TYPE' }));
    }
    expect(parseMediaType('text/plain; charset="utf-8"')).toBe('text/plain; charset="utf-8"');
  });
});
