import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor, Digest, ImageReference } from '@shimkit/oci-spec';
import { digestHex, formatImageReference, MediaType as MT } from '@shimkit/oci-spec';
import { decompress } from '../compression/decompress.js';
import { verifyStream } from '../content/verify-stream.js';
import { ImageStoreError } from '../errors.js';
import { stageArchive } from './archive-file.js';
import type { DockerArchiveEntry } from './docker-archive-manifest.js';
import type { ImageWriter } from './image-transport.js';

function isConfig(d: Descriptor): boolean {
  return d.mediaType === MT.OciConfig || d.mediaType === MT.DockerConfig;
}

/**
 * Writes one image as a `docker save` archive that `docker load` and
 * `podman load` read: `<config hex>.json`, one uncompressed `<diff id hex>.tar`
 * per layer, manifest.json (tagged `name` when given). Everything is staged
 * beside `file` and renamed into place on commit.
 */
export async function dockerArchiveWriter(file: string, name?: ImageReference): Promise<ImageWriter> {
  const stage = await stageArchive(file);
  /** Layer blob digest -> diff id of what was written. */
  const diffIds = new Map<Digest, Digest>();
  const location = `docker-archive:${file}${name === undefined ? '' : `:${formatImageReference(name)}`}`;
  const configs = new Set<Digest>();
  let count = 0;

  const writeLayer = async (d: Descriptor, open: () => AsyncIterable<Uint8Array>, signal?: AbortSignal) => {
    const temp = join(stage.dir, `layer-${count++}.partial`);
    const hash = createHash('sha256');
    async function* hashed(): AsyncGenerator<Buffer> {
      for await (const chunk of decompress(verifyStream(open(), d, `layer ${d.digest}`))) {
        hash.update(chunk);
        yield chunk;
      }
    }
    await pipeline(Readable.from(hashed()), createWriteStream(temp), { signal });
    const diffId = `sha256:${hash.digest('hex')}` as Digest;
    await rename(temp, join(stage.dir, `${digestHex(diffId)}.tar`));
    diffIds.set(d.digest, diffId);
  };

  return {
    name: location,
    acceptsIndex: false,
    verifiesBlobs: true,
    async putBlob(d, open, { signal }) {
      if (diffIds.has(d.digest) || configs.has(d.digest)) return 'exists';
      if (isConfig(d)) {
        await pipeline(Readable.from(verifyStream(open(), d, `config ${d.digest}`)), createWriteStream(join(stage.dir, `${digestHex(d.digest)}.json`)), { signal });
        configs.add(d.digest);
      } else {
        await writeLayer(d, open, signal);
      }
      return 'uploaded';
    },
    putManifest: async () => {
      throw new ImageStoreError('INVALID_ARGUMENT', `${location}: a docker archive holds one platform's image, not an index`);
    },
    async commit(top, signal) {
      if (top.document.kind !== 'manifest') throw new ImageStoreError('INVALID_ARGUMENT', `${location}: a docker archive holds one platform's image, not an index`);
      const { config, layers } = top.document.manifest;
      const configFile = join(stage.dir, `${digestHex(config.digest)}.json`);
      const configDoc = JSON.parse(await readFile(configFile, 'utf8')) as { rootfs?: { diff_ids?: string[] } };
      const written = layers.map((l) => diffIds.get(l.digest));
      const expected = configDoc.rootfs?.diff_ids ?? [];
      if (written.length !== expected.length || written.some((w, i) => w !== expected[i])) {
        throw new ImageStoreError('DIGEST_MISMATCH', `${location}: the uncompressed layers (${written.join(', ')}) do not match the config's diff ids (${expected.join(', ')})`);
      }
      const entry: DockerArchiveEntry = {
        Config: `${digestHex(config.digest)}.json`,
        RepoTags: name === undefined ? [] : [formatImageReference(name)],
        Layers: written.map((w) => `${digestHex(w!)}.tar`),
      };
      await writeFile(join(stage.dir, 'manifest.json'), JSON.stringify([entry]));
      await stage.publish(signal);
      return top.descriptor.digest;
    },
    abort: () => stage.discard(),
  };
}
