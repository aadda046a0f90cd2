import { describe, expect, it } from 'vitest';
import { parseDockerArchiveManifest, pickDockerArchiveEntry } from './docker-archive-manifest.js';

describe('docker archive manifest.json', () => {
  const entries = parseDockerArchiveManifest(JSON.stringify([
    { Config: 'a.json', RepoTags: ['busybox:latest'], Layers: ['1/layer.tar'] },
    { Config: 'b.json', RepoTags: null, Layers: [] },
  ]), 'x.tar');

  it('picks an entry by tag, in normalized form', () => {
    expect(pickDockerArchiveEntry(entries, 'x.tar', 'docker.io/library/busybox:latest').Config).toBe('a.json');
    expect(() => pickDockerArchiveEntry(entries, 'x.tar', 'busybox:other')).toThrow('docker archive x.tar has no image named "busybox:other"');
    expect(() => pickDockerArchiveEntry(entries, 'x.tar')).toThrow('holds 2 images; name one (docker-archive:x.tar:NAME)');
    expect(pickDockerArchiveEntry(entries.slice(1), 'x.tar').Config).toBe('b.json');
  });

  it('refuses what is not a list of images', () => {
    expect(() => parseDockerArchiveManifest('{', 'x.tar')).toThrow(/manifest\.json is not valid JSON/);
    expect(() => parseDockerArchiveManifest('[{"Config":1}]', 'x.tar')).toThrow(/not a list of \{Config, RepoTags, Layers\}/);
  });
});
