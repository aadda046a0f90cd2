import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import { loadDockerConfig, normalizeAuthKey, parseDockerConfig } from './credentials.js';

/** The fake docker-credential-* helpers the tests put on PATH. */
const CREDENTIAL_HELPERS = fileURLToPath(new URL('../../test/credential-helpers', import.meta.url));

describe('docker config credentials', () => {
  it('reads auth, username/password and identity tokens by host', () => {
    const map = parseDockerConfig(JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('bob:pa:ss').toString('base64') },
        'http://127.0.0.1:5000': { username: 'u', password: 'p' },
        'ghcr.io': { identitytoken: 'refresh-me' },
        'empty.example': {},
      },
    }));
    expect(map.get('docker.io')).toEqual({ username: 'bob', password: 'pa:ss' });
    expect(map.get('127.0.0.1:5000')).toEqual({ username: 'u', password: 'p' });
    expect(map.get('ghcr.io')).toEqual({ identityToken: 'refresh-me' });
    expect(map.has('empty.example')).toBe(false);
    expect(normalizeAuthKey('registry-1.docker.io')).toBe('docker.io');
  });

  it('rejects malformed files with a clear error', () => {
    expect(() => parseDockerConfig('{')).toThrow(/not valid JSON/);
    try {
      parseDockerConfig(JSON.stringify({ auths: { x: { auth: Buffer.from('nocolon').toString('base64') } } }));
      expect.unreachable();
    } catch (e) {
      expect(isImageStoreError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('loads a file by path; a missing default file means no credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), `shimkit-cfg-${process.pid}-`));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { 'r.example': { username: 'a', password: 'b' } } }));
      const creds = await loadDockerConfig({ path: join(dir, 'config.json') });
      expect(await creds('r.example')).toEqual({ username: 'a', password: 'b' });
      await expect(loadDockerConfig({ path: join(dir, 'missing.json') })).rejects.toSatisfy((e) => isImageStoreError(e, 'INVALID_ARGUMENT'));
      const saved = process.env.DOCKER_CONFIG;
      process.env.DOCKER_CONFIG = join(dir, 'nowhere');
      try {
        expect(await (await loadDockerConfig())('r.example')).toBeUndefined();
      } finally {
        if (saved === undefined) delete process.env.DOCKER_CONFIG;
        else process.env.DOCKER_CONFIG = saved;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks credential helpers (credHelpers per host, credsStore by default)', async () => {
    const dir = mkdtempSync(join(tmpdir(), `shimkit-helper-${process.pid}-`));
    const savedPath = process.env.PATH;
    try {
      process.env.PATH = `${CREDENTIAL_HELPERS}:${savedPath}`;
      writeFileSync(join(dir, 'config.json'), JSON.stringify({
        auths: { 'plain.example': { username: 'a', password: 'b' } },
        credsStore: 'store',
        credHelpers: { 'special.example': 'special', 'broken.example': 'broken', 'garbage.example': 'garbage', 'missing.example': 'not-installed' },
      }));
      const creds = await loadDockerConfig({ path: join(dir, 'config.json') });
      expect(await creds('plain.example')).toEqual({ username: 'a', password: 'b' });
      expect(await creds('docker.io')).toEqual({ username: 'hub', password: 's1' });
      expect(await creds('special.example')).toEqual({ identityToken: 'refresh-me' });
      expect(await creds('unknown.example')).toBeUndefined();
      await expect(creds('broken.example')).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_UNAUTHORIZED') && /oops/.test((e as Error).message));
      await expect(creds('garbage.example')).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_PROTOCOL') && /garbage printed invalid JSON/.test((e as Error).message));
      await expect(creds('missing.example')).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_UNAUTHORIZED') && /docker-credential-not-installed.*ENOENT/.test((e as Error).message));
    } finally {
      process.env.PATH = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
