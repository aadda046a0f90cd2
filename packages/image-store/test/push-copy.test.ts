import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import type { Digest } from '@shimkit/oci-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { copyImage } from '../src/registry/copy-image.js';
import { inspectImage } from '../src/registry/inspect-image.js';
import { RegistryClient } from '../src/registry/registry-client.js';

let source: Registry;
let target: Registry;
let images: TestImages;
const auth = { username: 'pusher', password: `pw-${process.pid}` };
const fast = { retry: { attempts: 2, baseDelayMs: 10 } };

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry({ auth })]);
  images = await pushTestImages({ host: source.host });
});
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
});

describe('push, copy and inspect against docker-registry', () => {
  it('inspects a remote image without pulling layers', async () => {
    const client = new RegistryClient(fast);
    const info = await inspectImage(client, images.busybox.reference, { tags: true });
    expect(info).toMatchObject({ name: images.busybox.reference, digest: images.busybox.digest, tags: ['latest'] });
    expect(info.images).toHaveLength(1);
    expect(info.images[0]?.config.config?.Cmd).toEqual(['sh']);
    expect(info.images[0]?.layers.map((l) => l.digest)).toEqual(images.busybox.layers);
  });

  it('copies within a registry by mounting blobs, and to another registry with chunked uploads', async () => {
    const client = new RegistryClient({ ...fast, hosts: { [target.host]: { credentials: auth } } });
    const within = await copyImage(client, images.busybox.reference, `${source.host}/copies/busybox:v1`);
    expect(within.digest).toBe(images.busybox.digest);
    expect(within.blobs.mounted).toBe(2); // config + layer
    const across = await copyImage(client, images.busybox.reference, `${target.host}/mirror/busybox:v2`, { chunkSize: 256 * 1024 });
    expect(across.blobs.uploaded).toBe(2);
    const again = await copyImage(client, images.pause.reference, `${target.host}/mirror/busybox:pause`);
    expect(again.blobs).toEqual({ exists: 1, mounted: 0, uploaded: 1 }); // shared layer exists, new config uploaded
    const copied = await client.resolve(`${target.host}/mirror/busybox:v2`);
    expect(copied.manifest.descriptor.digest).toBe(images.busybox.digest);
    expect(await client.listTags(`${target.host}/mirror/busybox`)).toEqual(expect.arrayContaining(['v2', 'pause']));
    expect(await client.tag(`${target.host}/mirror/busybox:v2`, 'stable')).toBe(images.busybox.digest);
    expect((await client.headManifest(`${target.host}/mirror/busybox:stable`))?.digest).toBe(images.busybox.digest);
  });

  it('refuses to push without credentials', async () => {
    const client = new RegistryClient(fast);
    await expect(copyImage(client, images.busybox.reference, `${target.host}/nope/busybox:v1`)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_UNAUTHORIZED'));
  });

  it('pushes an image from the store and pulls it back into another store', async () => {
    const roots = [0, 1].map(() => mkdtempSync(join(tmpdir(), `shimkit-push-${process.pid}-`)));
    try {
      const registry = new RegistryClient({ ...fast, hosts: { [target.host]: { credentials: auth } } });
      const a = await ImageStore.open({ root: roots[0]!, registry, keepLayerBlobs: true });
      const pulled = await a.pull(images.pause.reference);
      const digest = await a.push(images.pause.reference, `${target.host}/pushed/pause:v1`);
      expect(digest).toBe(images.pause.digest);
      const b = await ImageStore.open({ root: roots[1]!, registry });
      expect((await b.pull(`${target.host}/pushed/pause:v1`)).id).toBe(pulled.id);
      await expect(b.push(`${target.host}/pushed/pause:v1`, `${target.host}/x/y:z`)).rejects.toThrow(/keepLayerBlobs/);
    } finally {
      for (const r of roots) rmSync(r, { recursive: true, force: true });
    }
  });

  describe('a blob streamed up in one PUT', () => {
    const client = () => new RegistryClient({ ...fast, hosts: { [target.host]: { credentials: auth } } });
    const blob = randomBytes(3 << 20);
    const descriptor = { digest: `sha256:${createHash('sha256').update(blob).digest('hex')}` as Digest, size: blob.length };
    async function* slices(bytes: Buffer, cut = 64 << 10): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.length; at += cut) yield bytes.subarray(at, at + cut);
    }
    const stored = async (repo: string) => (await fetch(`http://${target.host}/v2/${repo}/blobs/${descriptor.digest}`, { method: 'HEAD', headers: { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } })).status;

    it('arrives whole, read from the source as it goes', async () => {
      let reads = 0;
      const counted = async function* () {
        for await (const s of slices(blob)) {
          reads++;
          yield s;
        }
      };
      expect(await client().pushBlob(`${target.host}/streamed/ok`, descriptor, counted)).toBe('uploaded');
      expect(reads).toBe(48);
      expect(await stored('streamed/ok')).toBe(200);
      const back: Uint8Array[] = [];
      for await (const chunk of client().blob(`${target.host}/streamed/ok`, descriptor)) back.push(chunk);
      expect(Buffer.concat(back).equals(blob)).toBe(true);
    });

    it.each([
      ['fewer', blob.subarray(0, blob.length - 1), /source has 3145727 bytes, expected 3145728/],
      ['more', Buffer.concat([blob, Buffer.from('x')]), /source has more than the 3145728 bytes expected/],
    ])('fails with SIZE_MISMATCH when the source has %s bytes than the descriptor, and the registry keeps nothing', async (_, bytes, message) => {
      const repo = `streamed/${_}`;
      const error = await client().pushBlob(`${target.host}/${repo}`, descriptor, () => slices(bytes)).catch((e: unknown) => e);
      expect(isImageStoreError(error, 'SIZE_MISMATCH')).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(await stored(repo)).toBe(404);
    });

    it("reports the source's own failure mid-stream, and the registry keeps nothing", async () => {
      const broken = async function* () {
        yield blob.subarray(0, 1 << 20);
        throw new Error('source connection reset');
      };
      await expect(client().pushBlob(`${target.host}/streamed/broken`, descriptor, broken)).rejects.toThrow('source connection reset');
      expect(await stored('streamed/broken')).toBe(404);
    });
  });
});
