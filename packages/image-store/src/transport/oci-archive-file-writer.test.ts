import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Digest } from '@shimkit/oci-spec';
import { MediaType } from '@shimkit/oci-spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import { parseManifestDocument } from '../images/manifest-document.js';
import { ociArchiveFileWriter } from './oci-archive-file-writer.js';

const run = promisify(execFile);
const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function* slowly(b: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < b.length; at += 1000) {
    await sleep(1);
    yield b.subarray(at, at + 1000);
  }
}

describe('ociArchiveFileWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-archive-writer-${process.pid}-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes blobs sent at the same time into their own entries, and a blob named twice once', async () => {
    const a = Buffer.alloc(5000, 1);
    const b = Buffer.alloc(3333, 2);
    const file = join(dir, 'out.tar');
    const writer = await ociArchiveFileWriter(file, 'v1', 'test');
    const results = await Promise.all([
      writer.putBlob({ mediaType: MediaType.OciLayerGzip, digest: digestOf(a), size: a.length }, () => slowly(a), {}),
      writer.putBlob({ mediaType: MediaType.OciLayerGzip, digest: digestOf(b), size: b.length }, () => slowly(b), {}),
      writer.putBlob({ mediaType: MediaType.OciLayerGzip, digest: digestOf(a), size: a.length }, () => slowly(a), {}),
    ]);
    expect(results).toEqual(['uploaded', 'uploaded', 'exists']);
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: digestOf(b), size: b.length }, layers: [] }));
    const top = { descriptor: { mediaType: MediaType.OciManifest, digest: digestOf(bytes), size: bytes.length }, bytes, document: parseManifestDocument(bytes, MediaType.OciManifest) };
    expect(await writer.commit(top)).toBe(top.descriptor.digest);
    expect(await readdir(dir)).toEqual(['out.tar']);

    // GNU tar reads it as a whole archive, each blob once, with the bytes that were sent.
    const { stdout } = await run('tar', ['-tf', file]);
    const hex = (x: Buffer) => digestOf(x).slice('sha256:'.length);
    expect(stdout.trim().split('\n').sort()).toEqual(['blobs/', 'blobs/sha256/', `blobs/sha256/${hex(a)}`, `blobs/sha256/${hex(b)}`, `blobs/sha256/${hex(bytes)}`, 'index.json', 'oci-layout'].sort());
    const out = join(dir, 'x');
    await mkdir(out);
    await run('tar', ['-xf', file, '-C', out]);
    expect(await readFile(join(out, 'blobs', 'sha256', hex(a)))).toEqual(a);
    expect(await readFile(join(out, 'blobs', 'sha256', hex(b)))).toEqual(b);
    expect(JSON.parse(await readFile(join(out, 'index.json'), 'utf8')).manifests[0].annotations).toEqual({ 'org.opencontainers.image.ref.name': 'v1' });
  });

  it('names a blob whose bytes are short, long or not its digest, and abort leaves no file', async () => {
    const a = Buffer.alloc(4000, 7);
    for (const [source, code] of [
      [a.subarray(0, 3000), 'SIZE_MISMATCH'],
      [Buffer.concat([a, Buffer.alloc(1)]), 'SIZE_MISMATCH'],
      [Buffer.alloc(4000, 8), 'DIGEST_MISMATCH'],
    ] as const) {
      const writer = await ociArchiveFileWriter(join(dir, 'bad.tar'), undefined, 'test');
      const error = await writer.putBlob({ mediaType: MediaType.OciLayerGzip, digest: digestOf(a), size: a.length }, () => slowly(source), {}).then(() => undefined, (e: unknown) => e);
      expect(isImageStoreError(error, code), String(error)).toBe(true);
      expect((error as Error).message).toContain(digestOf(a));
      await writer.abort();
      expect(await readdir(dir)).toEqual([]);
    }
  });
});
