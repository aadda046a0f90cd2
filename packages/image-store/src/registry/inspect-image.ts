import type { Descriptor, ImageConfig, ImageReference, Platform } from '@shimkit/oci-spec';
import { formatImageReference, parseImageReference } from '@shimkit/oci-spec';
import type { RegistryClient } from './registry-client.js';

/** One platform's image, as seen remotely. */
export interface RemoteImage {
  manifest: Descriptor;
  platform?: Platform;
  config: ImageConfig;
  configDescriptor: Descriptor;
  layers: Descriptor[];
  /** Manifest, config and compressed layers. */
  size: number;
}

export interface InspectResult {
  /** The normalized reference inspected. */
  name: string;
  /** Digest of what the reference names (index or manifest). */
  digest: string;
  mediaType: string;
  /** Every platform's image (one for a single-platform image). */
  images: RemoteImage[];
  /** The repository's tags, when asked for. */
  tags?: string[];
}

/**
 * Describes a remote image without downloading its layers, as skopeo inspect
 * does: manifest, config and layers of every platform (or of `platform` only).
 */
export async function inspectImage(client: RegistryClient, ref: ImageReference | string, options: { platform?: Platform; tags?: boolean; signal?: AbortSignal } = {}): Promise<InspectResult> {
  const { signal } = options;
  const top = await client.getManifest(ref, { signal });
  const manifests = top.document.kind === 'manifest'
    ? [{ fetched: top, platform: undefined as Platform | undefined }]
    : await Promise.all(
        (options.platform === undefined ? top.document.index.manifests : [(await client.resolve(ref, { platform: options.platform, signal })).manifest.descriptor])
          .map(async (d) => ({ fetched: await client.getManifest(ref, { digest: d.digest, signal }), platform: d.platform })),
      );
  const images: RemoteImage[] = [];
  for (const { fetched, platform } of manifests) {
    if (fetched.document.kind !== 'manifest') continue;
    const m = fetched.document.manifest;
    const config = JSON.parse((await client.getBlob(ref, m.config, { signal })).toString('utf8')) as ImageConfig;
    const image: RemoteImage = {
      manifest: fetched.descriptor,
      config,
      configDescriptor: m.config,
      layers: m.layers,
      size: fetched.bytes.length + m.config.size + m.layers.reduce((n, l) => n + l.size, 0),
    };
    const p = platform ?? (config.architecture && config.os ? { architecture: config.architecture, os: config.os } : undefined);
    if (p !== undefined) image.platform = p;
    images.push(image);
  }
  const result: InspectResult = {
    name: formatImageReference(typeof ref === 'string' ? parseImageReference(ref) : ref),
    digest: top.descriptor.digest,
    mediaType: top.descriptor.mediaType,
    images,
  };
  if (options.tags) result.tags = await client.listTags(ref, { signal });
  return result;
}
