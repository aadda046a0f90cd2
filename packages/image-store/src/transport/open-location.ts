import { formatImageReference } from '@shimkit/oci-spec';
import type { ImageStore } from '../image-store.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { dockerArchiveReader } from './docker-archive-reader.js';
import { dockerArchiveWriter } from './docker-archive-writer.js';
import type { ImageLocation } from './image-location.js';
import type { ImageReader, ImageWriter } from './image-transport.js';
import { layoutReader, layoutWriter } from './layout-transport.js';
import { ociArchiveReader, ociArchiveWriter } from './oci-archive-transport.js';
import { registryReader, registryWriter } from './registry-transport.js';
import { storeReader, storeWriter } from './store-transport.js';

/** What opening a location may need: a registry client for `docker://`, the store for `store:`. */
export interface LocationContext {
  registry: () => RegistryClient;
  store: () => Promise<ImageStore>;
  signal?: AbortSignal;
}

/** Opens a location for reading. */
export async function openImageReader(location: ImageLocation, ctx: LocationContext): Promise<ImageReader> {
  switch (location.transport) {
    case 'docker': return registryReader(ctx.registry(), location.ref);
    case 'oci': return layoutReader(location.dir, location.refName);
    case 'oci-archive': return ociArchiveReader(location.file, location.refName, { signal: ctx.signal });
    case 'docker-archive': return dockerArchiveReader(location.file, location.ref === undefined ? undefined : formatImageReference(location.ref), { signal: ctx.signal });
    case 'store': return storeReader(await ctx.store(), location.image);
  }
}

/** Opens a location for writing (nothing is visible there before the writer commits). */
export async function openImageWriter(location: ImageLocation, ctx: LocationContext): Promise<ImageWriter> {
  switch (location.transport) {
    case 'docker': return registryWriter(ctx.registry(), location.ref);
    case 'oci': return layoutWriter(location.dir, location.refName);
    case 'oci-archive': return ociArchiveWriter(location.file, location.refName);
    case 'docker-archive': return dockerArchiveWriter(location.file, location.ref);
    case 'store': return storeWriter(await ctx.store(), location.image);
  }
}
