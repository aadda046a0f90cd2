import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestImages } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { copyImage } from '../src/registry/copy-image.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import type { TokenRegistry } from './token-registry.js';
import { startTokenRegistry } from './token-registry.js';

let registry: TokenRegistry;
let images: TestImages;
let root: string;

beforeAll(async () => {
  registry = await startTokenRegistry();
  images = await pushTestImages({ host: registry.host, auth: registry.user });
  root = mkdtempSync(join(tmpdir(), `shimkit-token-${process.pid}-`));
});
afterAll(async () => {
  if (root) rmSync(root, { recursive: true, force: true });
  await registry?.close();
});

describe('docker-registry behind a bearer token server', () => {
  it('refuses anonymous pulls', async () => {
    const err = await new RegistryClient({ retry: { attempts: 1 } }).resolve(images.busybox.reference).catch((e: unknown) => e);
    expect(isImageStoreError(err, 'REGISTRY_UNAUTHORIZED')).toBe(true);
  });

  it('pulls with a token per scope, and pushes (copy) with a push token', async () => {
    const client = new RegistryClient({ retry: { attempts: 1 }, credentials: (host) => (host === registry.host ? registry.user : undefined) });
    await using store = await ImageStore.open({ root, registry: client });
    registry.tokenRequests.length = 0;
    const image = await store.pull(images.busybox.reference);
    expect(image.repoDigests).toEqual([images.busybox.canonical]);
    // one token for the whole pull (cached), not one per request
    expect(registry.tokenRequests).toEqual(['repository:busybox:pull']);
    const copied = await copyImage(client, images.busybox.reference, `${registry.host}/copied/busybox:v1`);
    expect(copied.digest).toBe(images.busybox.digest);
    // the mount needed pull on the source too: the registry's challenge named both scopes
    expect(copied.blobs.mounted).toBe(2);
    expect(registry.tokenRequests).toContain('repository:copied/busybox:pull,push');
    expect((await client.resolve(`${registry.host}/copied/busybox:v1`)).manifest.descriptor.digest).toBe(images.busybox.digest);
  });
});
