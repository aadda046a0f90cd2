import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor, Digest } from '@shimkit/oci-spec';
import { MediaType as MT, tryParseDigest } from '@shimkit/oci-spec';
import { detectCompression } from '../compression/decompress.js';
import { ImageStoreError } from '../errors.js';
import { parseManifestDocument } from '../images/manifest-document.js';
import type { FetchedManifest } from '../registry/registry-client.js';
import { extractArchive } from './archive-file.js';
import { parseDockerArchiveManifest, pickDockerArchiveEntry } from './docker-archive-manifest.js';
import type { ImageReader } from './image-transport.js';

const LAYER_TYPES = { none: MT.OciLayerTar, gzip: MT.OciLayerGzip, zstd: MT.OciLayerZstd } as const;

async function sha256OfFile(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}` as Digest;
}

async function head(path: string): Promise<{ bytes: Buffer; size: number }> {
  const fh = await open(path);
  try {
    const bytes = Buffer.alloc(8);
    const { bytesRead } = await fh.read(bytes, 0, 8, 0);
    return { bytes: bytes.subarray(0, bytesRead), size: (await fh.stat()).size };
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    await fh.close();
  }
}

/**
 * Describes a docker archive image as an OCI manifest: the config as it is,
 * each layer file as a blob (uncompressed ones named by their diff id, the
 * others hashed here).
 */
async function synthesizeManifest(dir: string, file: string, configPath: string, layerPaths: readonly string[]): Promise<{ manifest: FetchedManifest; paths: Map<Digest, string> }> {
  const configBytes = await readFile(join(dir, configPath)).catch((e: unknown) => {
    throw new ImageStoreError('INVALID_ARGUMENT', `docker archive ${file} lacks its config ${configPath}`, { cause: e });
  });
  const diffIds = ((JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown[] } }).rootfs?.diff_ids ?? []);
  if (diffIds.length !== layerPaths.length) throw new ImageStoreError('INVALID_ARGUMENT', `docker archive ${file}: config lists ${diffIds.length} diff ids for ${layerPaths.length} layers`);
  const paths = new Map<Digest, string>();
  const layers: Descriptor[] = [];
  for (const [i, rel] of layerPaths.entries()) {
    const path = join(dir, rel);
    const { bytes, size } = await head(path);
    const compression = detectCompression(bytes);
    const digest = compression === 'none' ? tryParseDigest(diffIds[i]) ?? (await sha256OfFile(path)) : await sha256OfFile(path);
    paths.set(digest, path);
    layers.push({ mediaType: LAYER_TYPES[compression], digest, size });
  }
  const config: Descriptor = { mediaType: MT.OciConfig, digest: `sha256:${createHash('sha256').update(configBytes).digest('hex')}` as Digest, size: configBytes.length };
  paths.set(config.digest, join(dir, configPath));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.OciManifest, config, layers }));
  const manifest: FetchedManifest = {
    descriptor: { mediaType: MT.OciManifest, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest, size: bytes.length },
    bytes,
    document: parseManifestDocument(bytes, MT.OciManifest),
  };
  return { manifest, paths };
}

/**
 * Reads an image from a `docker save` archive (manifest.json, config, layer
 * tars; also the OCI-layout form newer docker writes, through its manifest.json).
 * `name` picks the image by tag when the archive holds several.
 */
export async function dockerArchiveReader(file: string, name?: string, options: { signal?: AbortSignal } = {}): Promise<ImageReader> {
  const dir = await extractArchive(file, options);
  const close = () => rm(dir, { recursive: true, force: true });
  try {
    const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch((e: unknown) => {
      throw new ImageStoreError('INVALID_ARGUMENT', `${file} is not a docker archive (no manifest.json)`, { cause: e });
    });
    const entry = pickDockerArchiveEntry(parseDockerArchiveManifest(text, file), file, name);
    const { manifest, paths } = await synthesizeManifest(dir, file, entry.Config, entry.Layers);
    return {
      name: `docker-archive:${file}${name === undefined ? '' : `:${name}`}`,
      top: async () => manifest,
      manifest: async (d) => {
        throw new ImageStoreError('NOT_FOUND', `docker archive ${file} has no manifest ${d.digest}`);
      },
      async *blob(d) {
        const path = paths.get(d.digest);
        if (path === undefined) throw new ImageStoreError('NOT_FOUND', `docker archive ${file} has no blob ${d.digest}`);
        for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
