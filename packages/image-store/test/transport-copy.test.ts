import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageReference } from '@shimkit/oci-spec';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { copyBetween } from '../src/transport/copy-between.js';
import { dockerArchiveReader } from '../src/transport/docker-archive-reader.js';
import { dockerArchiveWriter } from '../src/transport/docker-archive-writer.js';
import type { ImageWriter } from '../src/transport/image-transport.js';
import { layoutReader, layoutWriter } from '../src/transport/layout-transport.js';
import { ociArchiveReader, ociArchiveWriter } from '../src/transport/oci-archive-transport.js';
import { registryReader, registryWriter } from '../src/transport/registry-transport.js';
import { storeWriter } from '../src/transport/store-transport.js';

let registry: Registry;
let images: TestImages;
let client: RegistryClient;
let dir: string;
let scratchTmp: string;
const savedTmp = process.env.TMPDIR;

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  dir = await mkdtemp(join(tmpdir(), `shimkit-transport-${process.pid}-`));
  // Archive readers unpack under the temp dir: give them one of their own to check it is left empty.
  scratchTmp = join(dir, 'tmp');
  await mkdir(scratchTmp);
  process.env.TMPDIR = scratchTmp;
});
afterAll(async () => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  await client?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Copies busybox from the registry into `writer`, aborting once bytes of
 * `blob` (default: its layer) start flowing. Blobs are uploaded, not mounted.
 */
async function interruptedCopy(writer: ImageWriter, blob = images.busybox.layers[0]): Promise<unknown> {
  const controller = new AbortController();
  const { repository: _mountable, ...reader } = registryReader(client, parseImageReference(images.busybox.reference));
  return copyBetween(reader, writer, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.status === 'copying' && p.digest === blob) controller.abort(new Error('stop'));
    },
  }).then(() => undefined, (e: unknown) => e);
}

describe('copyBetween', () => {
  it('leaves nothing at any destination when interrupted in the middle of a layer', async () => {
    const out = join(dir, 'interrupted');
    await mkdir(out);
    const root = join(dir, 'store');
    const store = await ImageStore.open({ root, keepLayerBlobs: true });
    try {
      const writers: Array<[string, ImageWriter]> = [
        ['oci', await layoutWriter(join(out, 'layout'), 'v1')],
        ['oci-archive', await ociArchiveWriter(join(out, 'a.tar'), 'v1')],
        ['docker-archive', await dockerArchiveWriter(join(out, 'd.tar'))],
        ['store', storeWriter(store, 'example.com/busybox:v1')],
        ['docker', registryWriter(client, parseImageReference(`${registry.host}/interrupted/busybox:v1`))],
      ];
      for (const [name, writer] of writers) {
        const error = await interruptedCopy(writer);
        expect(isImageStoreError(error, 'ABORTED'), `${name}: ${String(error)}`).toBe(true);
        expect((error as Error).message, name).toBe(`copy of docker://${images.busybox.reference} aborted`);
      }
      expect(await readdir(out)).toEqual([]);
      expect(store.list()).toEqual([]);
      expect(await client.headManifest(`${registry.host}/interrupted/busybox:v1`)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('keeps an existing layout as it was when a copy into it fails', async () => {
    const layout = join(dir, 'existing');
    await copyBetween(registryReader(client, parseImageReference(images.pause.reference)), await layoutWriter(layout, 'kept'));
    const before = await readFile(join(layout, 'index.json'), 'utf8');
    // The layer is shared with pause; the config is not.
    const error = await interruptedCopy(await layoutWriter(layout, 'other'), images.busybox.configDigest);
    expect(isImageStoreError(error, 'ABORTED')).toBe(true);
    expect(await readFile(join(layout, 'index.json'), 'utf8')).toBe(before);
    expect((await readdir(layout)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  });

  it('round-trips through archives and removes what the readers unpacked', async () => {
    const src = parseImageReference(images.busybox.reference);
    const oci = join(dir, 'rt.oci.tar');
    const docker = join(dir, 'rt.docker.tar');
    await copyBetween(registryReader(client, src), await ociArchiveWriter(oci, 'latest'));
    await copyBetween(registryReader(client, src), await dockerArchiveWriter(docker, parseImageReference('example.com/rt:v1')));
    const fromOci = await ociArchiveReader(oci, 'latest');
    const layout = join(dir, 'rt-layout');
    try {
      expect((await copyBetween(fromOci, await layoutWriter(layout))).digest).toBe(images.busybox.digest);
    } finally {
      await fromOci.close();
    }
    const fromDocker = await dockerArchiveReader(docker, 'example.com/rt:v1');
    try {
      const top = await fromDocker.top();
      expect(top.document.kind === 'manifest' && top.document.manifest.config.digest).toBe(images.busybox.configDigest);
      const copied = await copyBetween(fromDocker, await layoutWriter(join(dir, 'rt-layout-2')));
      expect(copied.blobs.uploaded).toBe(2);
      // Reading the layout written from the docker archive gives back the same image.
      expect((await layoutReader(join(dir, 'rt-layout-2')).top()).descriptor.digest).toBe(copied.digest);
    } finally {
      await fromDocker.close();
    }
    expect(await readdir(scratchTmp)).toEqual([]);
    expect(existsSync(join(dir, 'rt-layout', 'ingest'))).toBe(false);
  });

  it('refuses a blob whose bytes do not match its digest at every destination, whoever checks it', async () => {
    // A registry whose stored layer went bad on disk (one byte flipped): it serves the bytes as they are.
    const bad = await startRegistry();
    const out = join(dir, 'corrupt');
    await mkdir(out);
    const root = join(dir, 'corrupt-store');
    const store = await ImageStore.open({ root, keepLayerBlobs: true });
    try {
      const image = (await pushTestImages({ host: bad.host })).busybox;
      const layer = image.layers[0]!.slice('sha256:'.length);
      const fh = await open(join(bad.dir, 'storage', 'docker', 'registry', 'v2', 'blobs', 'sha256', layer.slice(0, 2), layer, 'data'), 'r+');
      const byte = Buffer.alloc(1);
      await fh.read(byte, 0, 1, 100);
      await fh.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 100);
      await fh.close();
      const writers: Array<[string, ImageWriter]> = [
        ['oci', await layoutWriter(join(out, 'layout'), 'v1')],
        ['oci-archive', await ociArchiveWriter(join(out, 'a.tar'), 'v1')],
        ['store', storeWriter(store, 'example.com/busybox:v1')],
        ['docker', registryWriter(client, parseImageReference(`${registry.host}/corrupt/busybox:v1`))],
      ];
      for (const [name, writer] of writers) {
        const { repository: _mountable, ...reader } = registryReader(client, parseImageReference(image.reference));
        const error = await copyBetween(reader, writer).then(() => undefined, (e: unknown) => e);
        expect(isImageStoreError(error, 'DIGEST_MISMATCH'), `${name}: ${String(error)}`).toBe(true);
        expect((error as Error).message, name).toContain(image.layers[0]);
      }
      expect(await readdir(out)).toEqual([]);
      expect(store.list()).toEqual([]);
      expect(await client.headManifest(`${registry.host}/corrupt/busybox:v1`)).toBeUndefined();
    } finally {
      await store.close();
      await bad.close();
    }
  });
});
