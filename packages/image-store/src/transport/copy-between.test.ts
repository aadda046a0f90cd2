import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Descriptor, Digest } from '@shimkit/oci-spec';
import { MediaType } from '@shimkit/oci-spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseManifestDocument } from '../images/manifest-document.js';
import { copyBetween } from './copy-between.js';
import type { ImageReader } from './image-transport.js';
import { layoutWriter } from './layout-transport.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An in-memory image of four layers streamed in small slow chunks; `failing` breaks after its first chunk. */
function memoryReader(failing: number | undefined, seen: { active: number; most: number }): ImageReader {
  const config = Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}');
  const layers = [0, 1, 2, 3].map((i) => Buffer.alloc(64 * 1024, i + 1));
  const blobs = new Map<string, Buffer>([config, ...layers].map((b) => [digestOf(b), b]));
  const d = (b: Buffer, mediaType: string): Descriptor => ({ mediaType: mediaType as Descriptor['mediaType'], digest: digestOf(b), size: b.length });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: d(config, MediaType.OciConfig), layers: layers.map((l) => d(l, MediaType.OciLayerGzip)) }));
  const top = { descriptor: d(bytes, MediaType.OciManifest), bytes, document: parseManifestDocument(bytes, MediaType.OciManifest) };
  const close = async () => undefined;
  return {
    name: 'memory:test',
    top: async () => top,
    manifest: async () => top,
    async *blob(desc, signal) {
      const whole = blobs.get(desc.digest)!;
      const index = layers.findIndex((l) => digestOf(l) === desc.digest);
      seen.active++;
      seen.most = Math.max(seen.most, seen.active);
      try {
        for (let at = 0; at < whole.length; at += 8192) {
          if (at > 0 && index === failing) throw new Error('disk on fire');
          signal?.throwIfAborted();
          await sleep(5);
          yield whole.subarray(at, at + 8192);
        }
      } finally {
        seen.active--;
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

describe('copyBetween', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-copy-between-${process.pid}-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('copies layers a few at once', async () => {
    const seen = { active: 0, most: 0 };
    const result = await copyBetween(memoryReader(undefined, seen), await layoutWriter(join(dir, 'out')), { concurrency: 3 });
    expect(result.blobs).toEqual({ exists: 0, mounted: 0, uploaded: 5 });
    expect(seen.most).toBe(3);
  });

  it('reports the first failure after the other layers stopped, and leaves nothing behind', async () => {
    const seen = { active: 0, most: 0 };
    await expect(copyBetween(memoryReader(1, seen), await layoutWriter(join(dir, 'out')))).rejects.toThrow('disk on fire');
    expect(seen.active).toBe(0);
    await sleep(50);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
