import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry } from './fake-registry.js';

let registry: FakeRegistry;
let root: string;
beforeEach(async () => {
  registry = await new FakeRegistry().start();
  root = mkdtempSync(join(tmpdir(), `shimkit-names-${process.pid}-`));
});
afterEach(async () => {
  await registry.close();
  rmSync(root, { recursive: true, force: true });
});

describe('image names', () => {
  it('moves a tag to the newly pulled image and keeps the old one by digest', async () => {
    const store = await ImageStore.open({ root, registry: new RegistryClient({ retry: { attempts: 1 } }) });
    const first = addTestImage(registry, 'app', 'latest', [{ entries: [{ path: 'v', type: 'file', data: '1' }] }]);
    const old = await store.pull(`${registry.host}/app`);
    addTestImage(registry, 'app', 'latest', [{ entries: [{ path: 'v', type: 'file', data: '2' }] }]);
    registry.addManifest('app', 'stable', JSON.parse(registry.manifests.get(`app@${first.manifest.digest}`)!.body.toString()), first.manifest.mediaType);
    const fresh = await store.pull(`${registry.host}/app:latest`);
    expect(fresh.id).not.toBe(old.id);
    expect(store.get(old.id)?.repoTags).toEqual([]);
    expect(store.get(old.id)?.repoDigests).toEqual([`${registry.host}/app@${first.manifest.digest}`]);
    // a second tag for the old image
    await store.pull(`${registry.host}/app:stable`);
    expect(store.get(old.id)?.repoTags).toEqual([`${registry.host}/app:stable`]);
    expect(store.get(`${registry.host}/app`)?.id).toBe(fresh.id);

    // tagging an image twice, then removing one tag keeps it; removing its last tag takes it
    registry.addManifest('app', 'also', JSON.parse(registry.manifests.get(`app@${first.manifest.digest}`)!.body.toString()), first.manifest.mediaType);
    await store.pull(`${registry.host}/app:also`);
    expect(await store.remove(`${registry.host}/app:stable`)).toBe(true);
    expect(store.get(old.id)?.repoTags).toEqual([`${registry.host}/app:also`]);
    expect(await store.remove(`${registry.host}/app:also`)).toBe(true);
    expect(store.get(old.id)).toBeUndefined();
    expect(store.get(fresh.id)?.repoTags).toEqual([`${registry.host}/app:latest`]);
    expect(await store.remove(`${registry.host}/app:nope`)).toBe(false);
  });

  it('answers a pull by digest of a held image without the registry', async () => {
    const store = await ImageStore.open({ root, registry: new RegistryClient({ retry: { attempts: 1 } }) });
    const img = addTestImage(registry, 'app', 'v1', [{ entries: [{ path: 'v', type: 'file', data: '1' }] }]);
    const pulled = await store.pull(`${registry.host}/app:v1`);
    await registry.close();
    registry = await new FakeRegistry().start(); // the old port is gone; afterEach closes this one
    const again = await store.pull(`${pulled.repoDigests[0]}`);
    expect(again.id).toBe(pulled.id);
    expect(pulled.repoDigests[0]).toContain(img.manifest.digest);
    // by tag, the registry is asked (and is gone)
    await expect(store.pull(pulled.repoTags[0]!)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_NETWORK'));
  });

  it('finds images by unambiguous id prefixes only', async () => {
    const store = await ImageStore.open({ root, registry: new RegistryClient({ retry: { attempts: 1 } }) });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      addTestImage(registry, 'many', `t${i}`, [{ entries: [{ path: 'i', type: 'file', data: String(i) }] }]);
      ids.push((await store.pull(`${registry.host}/many:t${i}`)).id);
    }
    const hex = ids.map((id) => id.slice(7));
    for (const h of hex) expect(store.get(h.slice(0, 12))?.id).toBe(`sha256:${h}`);
    // 20 ids share no 12-character prefix, but one-character prefixes are refused
    expect(store.get(hex[0]!.slice(0, 1))).toBeUndefined();
    expect(store.list()).toHaveLength(20);
    const usage = await store.fsUsage();
    expect(usage.inodesUsed).toBeGreaterThan(20);
  });
});
