import type { Descriptor, ImageConfig, Platform } from '@shimkit/oci-spec';
import { hostPlatform, isOciSpecError, selectManifest } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';
import type { InspectResult, RemoteImage } from '../registry/inspect-image.js';
import type { FetchedManifest } from '../registry/registry-client.js';
import type { ImageReader } from './image-transport.js';

async function readWhole(reader: ImageReader, d: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of reader.blob(d, signal)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** The image manifest of `top` for `platform` (default: this host's): `top` itself when it is one. */
export async function chooseManifest(reader: ImageReader, top: FetchedManifest, platform: Platform | undefined, signal?: AbortSignal): Promise<FetchedManifest> {
  if (top.document.kind === 'manifest') return top;
  let chosen: Descriptor;
  try {
    chosen = selectManifest(top.document.index, platform ?? hostPlatform());
  } catch (e) {
    if (isOciSpecError(e)) throw new ImageStoreError('NO_MATCHING_PLATFORM', `${reader.name}: ${e.message}`, { cause: e });
    throw e;
  }
  return reader.manifest(chosen, signal);
}

/** The image manifest for `platform` (default: this host's) of what the reader names. */
export async function platformManifest(reader: ImageReader, options: { platform?: Platform; signal?: AbortSignal } = {}): Promise<FetchedManifest> {
  return chooseManifest(reader, await reader.top(options.signal), options.platform, options.signal);
}

/** The config blob of an image manifest, as stored. */
export async function readConfigBlob(reader: ImageReader, manifest: FetchedManifest, signal?: AbortSignal): Promise<Buffer> {
  if (manifest.document.kind !== 'manifest') throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `${reader.name}: ${manifest.descriptor.digest} is not an image manifest`);
  return readWhole(reader, manifest.document.manifest.config, signal);
}

/**
 * Describes the image at any location (registry, layout, archive, store)
 * without copying its layers: manifest, config and layers of every platform
 * (or of `platform` only).
 */
export async function inspectReader(reader: ImageReader, options: { platform?: Platform; signal?: AbortSignal } = {}): Promise<InspectResult> {
  const { signal } = options;
  const top = await reader.top(signal);
  const entries = top.document.kind === 'manifest' || options.platform !== undefined
    ? [{ manifest: await chooseManifest(reader, top, options.platform, signal), platform: undefined as Platform | undefined }]
    : await Promise.all(top.document.index.manifests.map(async (d) => ({ manifest: await reader.manifest(d, signal), platform: d.platform })));
  const images: RemoteImage[] = [];
  for (const { manifest, platform } of entries) {
    if (manifest.document.kind !== 'manifest') continue;
    const m = manifest.document.manifest;
    const config = JSON.parse((await readConfigBlob(reader, manifest, signal)).toString('utf8')) as ImageConfig;
    const image: RemoteImage = {
      manifest: manifest.descriptor,
      config,
      configDescriptor: m.config,
      layers: m.layers,
      size: manifest.bytes.length + m.config.size + m.layers.reduce((n, l) => n + l.size, 0),
    };
    const p = platform ?? (config.architecture && config.os ? { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) } : undefined);
    if (p !== undefined) image.platform = p;
    images.push(image);
  }
  return { name: reader.name, digest: top.descriptor.digest, mediaType: top.descriptor.mediaType, images };
}
