import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClean, isTestBedError, leftovers, pushTestImages, startRegistry, type Registry, type TestImages } from '../src/index.js';

const execFileAsync = promisify(execFile);

async function skopeoInspect(reference: string, creds?: string): Promise<{ Digest: string; Layers: string[]; Architecture: string; Os: string }> {
  const args = ['inspect', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${reference}`];
  return JSON.parse((await execFileAsync('skopeo', args)).stdout) as { Digest: string; Layers: string[]; Architecture: string; Os: string };
}

describe('startRegistry + pushTestImages', () => {
  let registry: Registry;
  let images: TestImages;

  beforeAll(async () => {
    registry = await startRegistry();
    images = await pushTestImages(registry);
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('answers the distribution API on 127.0.0.1', async () => {
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`${registry.url}/v2/`);
    expect(res.status).toBe(200);
  });

  it('stores both images with the layers that were pushed', async () => {
    for (const image of [images.busybox, images.pause]) {
      const seen = await skopeoInspect(image.reference);
      expect(seen.Digest).toBe(image.digest);
      expect(seen.Layers).toEqual(image.layers);
      expect(seen.Os).toBe('linux');
      expect(seen.Architecture).toBe('amd64');
    }
    expect(images.busybox.reference).toBe(`${registry.host}/busybox:latest`);
    expect(images.pause.reference).toBe(`${registry.host}/pause:latest`);
    // The pause image reuses the busybox layer.
    expect(images.pause.layers).toEqual(images.busybox.layers);
  });

  it('allows deleting a manifest', async () => {
    const res = await fetch(`${registry.url}/v2/pause/manifests/${images.pause.digest}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
  });

  it('leaves nothing after close', async () => {
    const other = await startRegistry();
    expect(isClean(await leftovers(other.id))).toBe(false);
    await other.close();
    await other.close(); // idempotent
    expect(await leftovers(other.id)).toEqual(await leftovers('stb000000'));
    expect(isClean(await leftovers(other.id))).toBe(true);
    await expect(fetch(`${other.url}/v2/`)).rejects.toThrow();
  });
});

describe('startRegistry with basic auth', () => {
  const auth = { username: 'tester', password: 'p4ss word' };
  let registry: Registry;

  beforeAll(async () => {
    registry = await startRegistry({ auth });
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('refuses anonymous requests and accepts the credentials', async () => {
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(401);
    const basic = (u: string, p: string): string => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
    expect((await fetch(`${registry.url}/v2/`, { headers: { authorization: basic(auth.username, 'wrong') } })).status).toBe(401);
    expect((await fetch(`${registry.url}/v2/`, { headers: { authorization: basic(auth.username, auth.password) } })).status).toBe(200);
  });

  it('takes a push with credentials and refuses one without', async () => {
    const images = await pushTestImages(registry);
    const seen = await skopeoInspect(images.busybox.reference, `${auth.username}:${auth.password}`);
    expect(seen.Digest).toBe(images.busybox.digest);
    const err = await pushTestImages({ host: registry.host }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'COMMAND_FAILED')).toBe(true);
    expect(String((err as Error).message)).toMatch(/unauthorized|authentication required/i);
  });

  it('rejects unusable credentials up front', async () => {
    const err = await startRegistry({ auth: { username: 'a:b', password: 'x' } }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('startRegistry failures', () => {
  it('names a missing binary', async () => {
    const err = await startRegistry({ binary: '/nonexistent/registry' }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'BINARY_MISSING')).toBe(true);
    expect((err as Error).message).toContain('/nonexistent/registry');
  });
});

describe('pushTestImages failures', () => {
  it('names the registry it could not reach', async () => {
    const err = await pushTestImages({ host: '127.0.0.1:1' }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'COMMAND_FAILED')).toBe(true);
    expect((err as Error).message).toContain('127.0.0.1:1');
  });
});
