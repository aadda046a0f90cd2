import type { Descriptor, ImageConfig, ImageReference, Platform } from '@shimkit/oci-spec';
import { formatImageReference, parseImageReference } from '@shimkit/oci-spec';
import { inspectReader } from '../transport/inspect-reader.js';
import { registryReader } from '../transport/registry-transport.js';
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
  const parsed = typeof ref === 'string' ? parseImageReference(ref) : ref;
  const result = await inspectReader(registryReader(client, parsed), options);
  result.name = formatImageReference(parsed);
  if (options.tags) result.tags = await client.listTags(parsed, { signal: options.signal });
  return result;
}
