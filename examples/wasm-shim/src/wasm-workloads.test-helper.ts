// The test workloads: WAT sources in ../workloads compiled with wabt's wat2wasm (Debian), packed
// into an ordinary OCI image (modules as files in its rootfs, runwasi's convention) and into a CNCF
// Wasm OCI artifact, both pushed to the test's registry.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImageStore, RegistryClient, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE } from '@shimkit/image-store';
import { parseDigest, type Descriptor } from '@shimkit/oci-spec';

const run = promisify(execFile);
const WORKLOADS = fileURLToPath(new URL('../workloads', import.meta.url));

/** Where the workloads are, by reference. */
export interface WasmTestImages {
  /** OCI image: /hello.wasm (entrypoint), /exit-code.wasm, /exit-with.wasm, /cat.wasm, /loop.wasm, /grow.wasm, /sleep-exit.wasm, /trap.wasm, /bad-import.wasm, /not-wasm.txt. */
  modules: string;
  /** Wasm OCI artifact holding exit-code.wasm. */
  artifact: string;
}

/** Compiles every workloads/*.wat into `dir` (one .wasm each). */
export async function buildWorkloads(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const sources = (await readdir(WORKLOADS)).filter((f) => f.endsWith('.wat'));
  for (const source of sources) await run('wat2wasm', [join(WORKLOADS, source), '-o', join(dir, source.replace(/\.wat$/, '.wasm'))]);
  return sources.map((s) => s.replace(/\.wat$/, '.wasm'));
}

function descriptor(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`), size: bytes.length } as Descriptor;
}

/** Builds both images and pushes them to the plain-HTTP registry at `host`. */
export async function pushWasmTestImages(host: string): Promise<WasmTestImages> {
  const work = await mkdtemp(join(tmpdir(), 'wasm-shim-images-'));
  try {
    const rootfs = join(work, 'rootfs');
    await buildWorkloads(rootfs);
    await writeFile(join(rootfs, 'not-wasm.txt'), 'plain text\n');
    const registry = { hosts: { [host]: { plainHttp: true } } };
    const store = await ImageStore.open({ root: join(work, 'store'), keepLayerBlobs: true, snapshotter: 'copy', registry });
    const modules = `${host}/wasm/modules:latest`;
    try {
      const built = await store.builder({ platform: { architecture: 'wasm', os: 'wasip1' } }).addDirectory(rootfs).configure({ entrypoint: ['/hello.wasm'], workingDir: '/' }).commit(modules);
      await store.push(built.id, modules);
    } finally {
      await store.close();
    }
    const artifact = `${host}/wasm/exit-code-artifact:v1`;
    const client = new RegistryClient(registry);
    try {
      const module = await readFile(join(rootfs, 'exit-code.wasm'));
      const layer = descriptor(WASM_LAYER_MEDIA_TYPE, module);
      const configBytes = Buffer.from(JSON.stringify({ created: new Date().toISOString(), architecture: 'wasm', os: 'wasip1', layerDigests: [layer.digest] }));
      const config = descriptor(WASM_CONFIG_MEDIA_TYPE, configBytes);
      await client.pushBlob(artifact, config, () => [configBytes]);
      await client.pushBlob(artifact, layer, () => [module]);
      const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: WASM_CONFIG_MEDIA_TYPE, config, layers: [layer] };
      await client.pushManifest(artifact, Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
    } finally {
      await client.close();
    }
    return { modules, artifact };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
