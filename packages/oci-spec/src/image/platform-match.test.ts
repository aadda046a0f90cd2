import { describe, expect, it } from 'vitest';
import { digestOf } from './digest.js';
import type { Descriptor } from './descriptor.js';
import { MediaType } from './media-type.js';
import type { Platform } from './platform.js';
import {
  compatiblePlatforms,
  findManifest,
  formatPlatform,
  hostPlatform,
  matchPlatform,
  normalizePlatform,
  parsePlatform,
  selectManifest,
} from './platform-match.js';

const p = (text: string, extra: Partial<Platform> = {}): Platform => ({ ...parsePlatform(text), ...extra });
const entry = (platform: Platform | undefined, name: string): Descriptor => ({
  mediaType: MediaType.OciManifest,
  digest: digestOf(name),
  size: 1,
  ...(platform === undefined ? {} : { platform }),
});

describe('normalizePlatform', () => {
  it.each([
    [{ os: 'Linux', architecture: 'x86_64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'amd64', variant: 'v1' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'aarch64' }, 'linux/arm64/v8'],
    [{ os: 'linux', architecture: 'arm64', variant: '8' }, 'linux/arm64/v8'],
    [{ os: 'linux', architecture: 'arm' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'armhf' }, 'linux/arm/v7'],
    [{ os: 'linux', architecture: 'armel' }, 'linux/arm/v6'],
    [{ os: 'linux', architecture: 'i386' }, 'linux/386'],
    [{ os: 'macos', architecture: 'arm64' }, 'darwin/arm64/v8'],
  ])('%j -> %s', (input, expected) => {
    expect(formatPlatform(normalizePlatform(input))).toBe(expected);
  });

  it('parsePlatform rejects junk', () => {
    for (const bad of ['linux', 'linux/', 'a/b/c/d', 'linux/am d64']) {
      expect(() => parsePlatform(bad)).toThrow(expect.objectContaining({ code: 'INVALID_PLATFORM' }));
    }
  });
});

describe('hostPlatform', () => {
  it('maps Node names', () => {
    expect(hostPlatform({ nodePlatform: 'linux', nodeArch: 'x64' })).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(hostPlatform({ nodePlatform: 'win32', nodeArch: 'arm64' })).toEqual({ os: 'windows', architecture: 'arm64', variant: 'v8' });
    expect(hostPlatform({ nodePlatform: 'linux', nodeArch: 'arm', armVersion: '6' })).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(hostPlatform().os).toBe(process.platform === 'win32' ? 'windows' : process.platform);
  });
});

describe('matchPlatform', () => {
  it.each([
    ['linux/amd64', 'linux/amd64', true],
    ['linux/amd64', 'linux/386', true],
    ['linux/amd64', 'linux/amd64/v2', false],
    ['linux/amd64/v3', 'linux/amd64/v2', true],
    ['linux/amd64/v3', 'linux/amd64', true],
    ['linux/amd64', 'windows/amd64', false],
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm64', 'linux/arm/v7', true],
    ['linux/arm/v7', 'linux/arm/v6', true],
    ['linux/arm/v6', 'linux/arm/v7', false],
    ['linux/arm/v7', 'linux/arm64', false],
    ['linux/arm', 'linux/arm/v7', true],
  ])('%s runs %s: %s', (want, candidate, expected) => {
    expect(matchPlatform(p(want), p(candidate))).toBe(expected);
  });

  it('checks os.version and os.features', () => {
    const win = p('windows/amd64', { 'os.version': '10.0.17763.1' });
    expect(matchPlatform(win, p('windows/amd64', { 'os.version': '10.0.17763.5000' }))).toBe(true);
    expect(matchPlatform(win, p('windows/amd64', { 'os.version': '10.0.20348.1' }))).toBe(false);
    expect(matchPlatform(win, p('windows/amd64'))).toBe(true);
    expect(matchPlatform(p('linux/amd64', { 'os.version': '1' }), p('linux/amd64', { 'os.version': '2' }))).toBe(false);
    expect(matchPlatform(p('windows/amd64'), p('windows/amd64', { 'os.features': ['win32k'] }))).toBe(false);
    expect(matchPlatform(p('windows/amd64', { 'os.features': ['win32k'] }), p('windows/amd64', { 'os.features': ['win32k'] }))).toBe(true);
  });

  it('orders compatible platforms by preference', () => {
    expect(compatiblePlatforms(p('linux/arm64')).map(formatPlatform)).toEqual([
      'linux/arm64/v8', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5',
    ]);
    expect(compatiblePlatforms(p('linux/amd64/v3')).map(formatPlatform)).toEqual([
      'linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386',
    ]);
  });
});

describe('selectManifest', () => {
  const index = {
    manifests: [
      entry(undefined, 'attestation'),
      entry(p('linux/arm/v6'), 'armv6'),
      entry(p('linux/arm/v7'), 'armv7'),
      entry(p('linux/amd64'), 'amd64-first'),
      entry(p('linux/amd64'), 'amd64-second'),
      entry({ os: 'linux', architecture: 'arm64' }, 'arm64'),
      entry(p('linux/386'), '386'),
    ],
  };

  it('prefers the exact platform, first in index on ties', () => {
    expect(selectManifest(index, p('linux/amd64')).digest).toBe(digestOf('amd64-first'));
    expect(selectManifest(index, p('linux/arm64/v8')).digest).toBe(digestOf('arm64'));
    expect(selectManifest(index, p('linux/arm/v7')).digest).toBe(digestOf('armv7'));
    expect(selectManifest(index, p('linux/arm/v6')).digest).toBe(digestOf('armv6'));
  });

  it('falls back to compatible platforms', () => {
    const only = { manifests: [entry(p('linux/arm/v6'), 'v6'), entry(p('linux/arm/v5'), 'v5')] };
    expect(selectManifest(only, p('linux/arm64')).digest).toBe(digestOf('v6'));
    expect(selectManifest({ manifests: [entry(p('linux/386'), 'x')] }, p('linux/amd64')).digest).toBe(digestOf('x'));
  });

  it('throws NO_MATCHING_MANIFEST listing what is offered', () => {
    expect(() => selectManifest(index, p('linux/s390x'))).toThrow(/linux\/s390x.*offers: linux\/arm\/v6, linux\/arm\/v7/);
    expect(() => selectManifest({ manifests: [] }, p('linux/s390x'))).toThrow(expect.objectContaining({ code: 'NO_MATCHING_MANIFEST' }));
    expect(findManifest(index, p('windows/amd64'))).toBeUndefined();
  });
});
