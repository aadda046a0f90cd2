import type { Digest } from '@shimkit/oci-spec';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { RegistryClient } from '../src/registry/registry-client.js';

const fast = { retry: { attempts: 2, baseDelayMs: 10 } };

describe('RegistryClient against docker-registry (anonymous)', () => {
  let registry: Registry;
  let images: TestImages;
  beforeAll(async () => {
    registry = await startRegistry();
    images = await pushTestImages({ host: registry.host });
  });
  afterAll(async () => registry?.close());

  it('pings, resolves a tag and a digest, reads config and layer verified', async () => {
    const client = new RegistryClient(fast);
    await client.ping(registry.host);
    const byTag = await client.resolve(images.busybox.reference);
    expect(byTag.manifest.descriptor.digest).toBe(images.busybox.digest);
    expect(byTag.manifest.document.manifest.layers.map((l) => l.digest)).toEqual(images.busybox.layers);
    const byDigest = await client.resolve(images.busybox.canonical);
    expect(byDigest.manifest.bytes.equals(byTag.manifest.bytes)).toBe(true);
    const config = JSON.parse((await client.getBlob(images.busybox.reference, byTag.manifest.document.manifest.config)).toString()) as { config: { Cmd: string[] } };
    expect(config.config.Cmd).toEqual(['sh']);
    const layer = byTag.manifest.document.manifest.layers[0]!;
    let size = 0;
    for await (const chunk of client.blob(images.busybox.reference, layer)) size += chunk.length;
    expect(size).toBe(layer.size);
    const head = await client.headManifest(images.busybox.reference);
    expect(head).toMatchObject({ digest: images.busybox.digest, size: byTag.manifest.bytes.length });
    expect(await client.listTags(images.busybox.repository)).toEqual(['latest']);
  });

  it('reports unknown manifests and blobs with the registry error code', async () => {
    const client = new RegistryClient(fast);
    expect(await client.headManifest(`${registry.host}/busybox:missing`)).toBeUndefined();
    const err = await client.getManifest(`${registry.host}/busybox:missing`).catch((e: unknown) => e);
    expect(isImageStoreError(err, 'REGISTRY_NOT_FOUND')).toBe(true);
    expect(err).toMatchObject({ registryCode: 'MANIFEST_UNKNOWN' });
    const missing = { digest: `sha256:${'0'.repeat(64)}` as Digest, size: 1 };
    const blobErr = await client.getBlob(images.busybox.reference, missing).catch((e: unknown) => e);
    expect(isImageStoreError(blobErr, 'REGISTRY_NOT_FOUND')).toBe(true);
    expect(blobErr).toMatchObject({ registryCode: 'BLOB_UNKNOWN' });
  });
});

describe('RegistryClient against docker-registry with htpasswd basic auth', () => {
  let registry: Registry;
  let images: TestImages;
  const auth = { username: 'shimkit', password: `pw-${process.pid}` };
  beforeAll(async () => {
    registry = await startRegistry({ auth });
    images = await pushTestImages({ host: registry.host, auth });
  });
  afterAll(async () => registry?.close());

  it('refuses without credentials and with wrong ones, works with the right ones', async () => {
    await expect(new RegistryClient(fast).resolve(images.pause.reference)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_UNAUTHORIZED'));
    const wrong = new RegistryClient({ ...fast, credentials: () => ({ username: auth.username, password: 'nope' }) });
    await expect(wrong.resolve(images.pause.reference)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_UNAUTHORIZED'));
    const client = new RegistryClient({ ...fast, hosts: { [registry.host]: { credentials: auth } } });
    const resolved = await client.resolve(images.pause.reference);
    expect(resolved.manifest.descriptor.digest).toBe(images.pause.digest);
    // credentials for one call only
    const perCall = new RegistryClient(fast).withCredentials(registry.host, auth);
    expect((await perCall.resolve(images.pause.reference)).manifest.descriptor.digest).toBe(images.pause.digest);
    expect((await client.getBlob(images.pause.reference, resolved.manifest.document.manifest.config)).length).toBeGreaterThan(0);
  });
});
