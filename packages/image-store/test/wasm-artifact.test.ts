import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { parseDigest, type Descriptor } from '@shimkit/oci-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE, wasmLayerFileNames } from '../src/pull/wasm-artifact.js';
import { RegistryClient } from '../src/registry/registry-client.js';

// the smallest valid module: magic and version
const MODULE = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

let registry: Registry;
let work: string;
beforeAll(async () => {
  registry = await startRegistry();
  work = mkdtempSync(join(tmpdir(), `shimkit-wasm-artifact-${process.pid}-`));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await registry?.close();
});

function descriptor(mediaType: string, bytes: Buffer, annotations?: Record<string, string>): Descriptor {
  return { mediaType, digest: parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`), size: bytes.length, ...(annotations ? { annotations } : {}) } as Descriptor;
}

/** Pushes a Wasm OCI artifact (config and layers as given) with the registry client, as `wkg oci push` lays it out. */
async function pushArtifact(reference: string, config: object, layers: Array<{ mediaType: string; bytes: Buffer; annotations?: Record<string, string> }>): Promise<void> {
  const client = new RegistryClient({ hosts: { [registry.host]: { plainHttp: true } } });
  try {
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDesc = descriptor(WASM_CONFIG_MEDIA_TYPE, configBytes);
    await client.pushBlob(reference, configDesc, () => [configBytes]);
    const layerDescs: Descriptor[] = [];
    for (const layer of layers) {
      const desc = descriptor(layer.mediaType, layer.bytes, layer.annotations);
      await client.pushBlob(reference, desc, () => [layer.bytes]);
      layerDescs.push(desc);
    }
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: WASM_CONFIG_MEDIA_TYPE, config: configDesc, layers: layerDescs };
    await client.pushManifest(reference, Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
  } finally {
    await client.close();
  }
}

describe('Wasm OCI artifacts', () => {
  const wasmConfig = { created: '2024-01-01T00:00:00Z', architecture: 'wasm', os: 'wasip1', layerDigests: [] as string[] };

  it.each(['overlay', 'copy'] as const)('pulls one into an image whose rootfs holds the module as /module.wasm, its entrypoint (%s)', async (snapshotter) => {
    const reference = `${registry.host}/wasm/hello:${snapshotter}`;
    await pushArtifact(reference, wasmConfig, [{ mediaType: WASM_LAYER_MEDIA_TYPE, bytes: MODULE }]);
    const store = await ImageStore.open({ root: join(work, `store-${snapshotter}`), snapshotter, registry: { hosts: { [registry.host]: { plainHttp: true } } } });
    try {
      const image = await store.pull(reference);
      expect(image.config).toMatchObject({ architecture: 'wasm', os: 'wasip1', created: '2024-01-01T00:00:00Z', config: { Entrypoint: ['/module.wasm'] } });
      expect(image.platform).toEqual({ architecture: 'wasm', os: 'wasip1' });
      expect(image.diffIds).toEqual([image.layers[0]!.digest]);
      const rootfs = await store.createRootfs('c1', reference);
      try {
        expect(readFileSync(join(rootfs.path, 'module.wasm'))).toEqual(MODULE);
        expect(statSync(join(rootfs.path, 'module.wasm')).mode & 0o777).toBe(0o755);
      } finally {
        await store.removeRootfs('c1');
      }
      // already there: a second pull finds the snapshot
      expect((await store.pull(reference)).id).toBe(image.id);
    } finally {
      await store.close();
    }
  });

  it('refuses an artifact with a layer that is not application/wasm, naming its media type, and keeps no image', async () => {
    const reference = `${registry.host}/wasm/mixed:v1`;
    await pushArtifact(reference, wasmConfig, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', bytes: Buffer.from('not a module') }]);
    const store = await ImageStore.open({ root: join(work, 'store-mixed'), registry: { hosts: { [registry.host]: { plainHttp: true } } } });
    try {
      const failed = await store.pull(reference).catch((e: unknown) => e);
      expect(isImageStoreError(failed) && failed.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect((failed as Error).message).toMatch(/wasm artifact layer 0 has media type application\/vnd\.oci\.image\.layer\.v1\.tar; expected application\/wasm/);
      expect(store.list()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('names layers by their title annotation when it is a plain .wasm name', () => {
    const d = (title?: string) => descriptor(WASM_LAYER_MEDIA_TYPE, MODULE, title === undefined ? undefined : { 'org.opencontainers.image.title': title });
    expect(wasmLayerFileNames([d('app.wasm'), d(), d('../evil.wasm'), d('app.wasm')])).toEqual(['app.wasm', 'module-1.wasm', 'module-2.wasm', 'module-3.wasm']);
  });
});
