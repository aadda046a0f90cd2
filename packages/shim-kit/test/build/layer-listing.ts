import { createHash } from 'node:crypto';
import type { RegistryClient } from '@shimkit/image-store';
import { decompress, readTar } from '@shimkit/image-store';
import type { ImageConfig } from '@shimkit/oci-spec';

/** One path of a layer as a comparison sees it: no times. */
export interface ListedEntry {
  type: string;
  mode: string;
  owner: string;
  /** sha256 of a file's content, a link's target, or ''. */
  what: string;
}

/** What an image pushed to a registry holds: its config and, per layer after the first `skip`, the entries by path. */
export async function readPushedImage(client: RegistryClient, ref: string, skip: number): Promise<{ config: ImageConfig; layers: Map<string, ListedEntry>[] }> {
  const resolved = await client.resolve(ref);
  const manifest = resolved.manifest.document.kind === 'manifest' ? resolved.manifest.document.manifest : undefined;
  if (manifest === undefined) throw new Error(`${ref} is not an image manifest`);
  const config = JSON.parse((await readAll(client.blob(ref, manifest.config))).toString('utf8')) as ImageConfig;
  const layers: Map<string, ListedEntry>[] = [];
  for (const layer of manifest.layers.slice(skip)) {
    const entries = new Map<string, ListedEntry>();
    for await (const { entry, body } of readTar(decompress(client.blob(ref, layer)))) {
      const hash = createHash('sha256');
      for await (const chunk of body) hash.update(chunk);
      const path = entry.path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
      entries.set(path, {
        type: entry.type,
        mode: (entry.mode & 0o7777).toString(8),
        owner: `${entry.uid}:${entry.gid}`,
        what: entry.type === 'file' ? hash.digest('hex') : entry.linkname,
      });
    }
    layers.push(entries);
  }
  return { config, layers };
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}
