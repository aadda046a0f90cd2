import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Descriptor, Digest, ImageConfig, Manifest } from '@shimkit/oci-spec';
import { verifyStream } from '../content/verify-stream.js';
import { ImageStoreError } from '../errors.js';
import type { SnapshotFillContext } from '../snapshot/snapshot-store.js';

/** The config media type of a CNCF Wasm OCI artifact (TAG Runtime's wasm-oci-artifact layout). */
export const WASM_CONFIG_MEDIA_TYPE = 'application/vnd.wasm.config.v0+json';
/** Its layers: each one a WebAssembly module or component, as is (not a tar). */
export const WASM_LAYER_MEDIA_TYPE = 'application/wasm';

const TITLE = 'org.opencontainers.image.title';

/** Whether a manifest is a Wasm OCI artifact (by its config's media type). */
export function isWasmArtifact(manifest: Pick<Manifest, 'config'>): boolean {
  return manifest.config.mediaType === WASM_CONFIG_MEDIA_TYPE;
}

/**
 * The file each layer of a Wasm artifact becomes at the root of the image's filesystem: its
 * `org.opencontainers.image.title` when that is a plain `.wasm` file name, else `module.wasm`
 * (`module-<n>.wasm` for later layers).
 */
export function wasmLayerFileNames(layers: readonly Descriptor[]): string[] {
  const names = layers.map((layer, i) => {
    const title = layer.annotations?.[TITLE];
    if (title !== undefined && /^[A-Za-z0-9][A-Za-z0-9._-]*\.wasm$/.test(title)) return title;
    return i === 0 ? 'module.wasm' : `module-${i}.wasm`;
  });
  const seen = new Set<string>();
  return names.map((n, i) => (seen.has(n) ? `module-${i}.wasm` : (seen.add(n), n)));
}

/**
 * An image config for a Wasm artifact, so the rest of the store and a CRI runtime treat it as any
 * image: its architecture and os (`wasm`, `wasip1`) and creation time from the artifact's config,
 * the first module as the entrypoint, and the layers' digests as diff ids (a layer is stored as
 * it is, so its content digest is its diff id).
 */
export function wasmArtifactConfig(bytes: Buffer, layers: readonly Descriptor[]): { config: ImageConfig; diffIds: Digest[] } {
  let raw: { created?: unknown; author?: unknown; architecture?: unknown; os?: unknown };
  try {
    raw = JSON.parse(bytes.toString('utf8')) as typeof raw;
  } catch (e) {
    throw new ImageStoreError('REGISTRY_PROTOCOL', `wasm artifact config is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null) throw new ImageStoreError('REGISTRY_PROTOCOL', 'wasm artifact config is not a JSON object');
  if (layers.length === 0) throw new ImageStoreError('REGISTRY_PROTOCOL', 'wasm artifact has no layers');
  layers.forEach((layer, i) => {
    if (layer.mediaType !== WASM_LAYER_MEDIA_TYPE) {
      throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `wasm artifact layer ${i} has media type ${layer.mediaType}; expected ${WASM_LAYER_MEDIA_TYPE}`);
    }
  });
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const diffIds = layers.map((l) => l.digest);
  const created = text(raw.created);
  const author = text(raw.author);
  const config: ImageConfig = {
    ...(created === undefined ? {} : { created }),
    ...(author === undefined ? {} : { author }),
    architecture: text(raw.architecture) ?? 'wasm',
    os: text(raw.os) ?? 'wasip1',
    config: { Entrypoint: [`/${wasmLayerFileNames(layers)[0]}`] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  return { config, diffIds };
}

/** Writes one Wasm artifact layer into its snapshot as the file `name` (mode 0755), checking its digest. */
export async function unpackWasmLayer(ctx: SnapshotFillContext, bytes: AsyncIterable<Uint8Array>, layer: Descriptor, name: string): Promise<void> {
  const verified = verifyStream(bytes, layer, `wasm layer ${layer.digest}`);
  await pipeline(Readable.from(verified), createWriteStream(join(ctx.dir, name), { mode: 0o755, flags: 'wx' }), ctx.signal === undefined ? {} : { signal: ctx.signal });
}
