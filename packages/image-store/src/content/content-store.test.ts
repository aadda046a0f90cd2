import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Digest } from '@shimkit/oci-spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import { ContentStore } from './content-store.js';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
let root: string;
let store: ContentStore;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), `shimkit-cs-${process.pid}-`));
  store = await ContentStore.open(root);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function* slices(data: Buffer, size: number, failAfter?: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) {
    if (failAfter !== undefined && i >= failAfter) throw new Error('connection reset');
    yield data.subarray(i, i + size);
  }
}

describe('ContentStore', () => {
  it('lays out an OCI image layout and stores verified blobs', async () => {
    expect(JSON.parse(readFileSync(join(root, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(await store.readIndex()).toEqual({ schemaVersion: 2, manifests: [] });
    const info = await store.put('{"a":1}');
    expect(info).toEqual({ digest: sha(Buffer.from('{"a":1}')), size: 7 });
    expect(readFileSync(join(root, 'blobs', 'sha256', info.digest.slice(7)), 'utf8')).toBe('{"a":1}');
    expect((await store.read(info.digest)).toString()).toBe('{"a":1}');
    expect(await store.list()).toEqual([info]);
    expect(await store.verify(info.digest)).toBe(true);
    expect(await store.delete(info.digest)).toBe(true);
    await expect(store.read(info.digest)).rejects.toSatisfy((e) => isImageStoreError(e, 'NOT_FOUND'));
  });

  it('refuses content that does not match its digest or size, leaving nothing visible', async () => {
    const data = randomBytes(10_000);
    const wrong = sha(Buffer.from('other'));
    await expect(store.ingest(wrong, () => slices(data, 1000))).rejects.toSatisfy((e) => isImageStoreError(e, 'DIGEST_MISMATCH'));
    await expect(store.ingest(sha(data), () => slices(data, 1000), { size: 9_999 })).rejects.toSatisfy((e) => isImageStoreError(e, 'SIZE_MISMATCH'));
    await expect(store.ingest(sha(data), () => slices(data, 1000), { size: 10_001 })).rejects.toSatisfy((e) => isImageStoreError(e, 'SIZE_MISMATCH'));
    expect(await store.list()).toEqual([]);
    expect(readdirSync(join(root, 'ingest'))).toEqual([]);
  });

  it('resumes an interrupted ingest from where it stopped', async () => {
    const data = randomBytes(100_000);
    await expect(store.ingest(sha(data), () => slices(data, 10_000, 40_000))).rejects.toThrow(/connection reset/);
    expect(await store.has(sha(data))).toBe(false);
    const offsets: number[] = [];
    const info = await store.ingest(sha(data), (offset) => {
      offsets.push(offset);
      return slices(data.subarray(offset), 10_000);
    }, { size: data.length });
    expect(offsets).toEqual([40_000]);
    expect(info.size).toBe(100_000);
    expect(await store.verify(info.digest)).toBe(true);
  });

  it('coalesces concurrent ingests of one blob', async () => {
    const data = randomBytes(50_000);
    let opens = 0;
    const open = () => {
      opens++;
      return slices(data, 5_000);
    };
    const results = await Promise.all([1, 2, 3].map(() => store.ingest(sha(data), open, { size: data.length })));
    expect(opens).toBe(1);
    expect(results.every((r) => r.digest === sha(data))).toBe(true);
  });

  it('lets a waiting ingest take over when the first one fails', async () => {
    const data = randomBytes(20_000);
    const first = store.ingest(sha(data), () => slices(data, 1000, 5000));
    const second = store.ingest(sha(data), (offset) => slices(data.subarray(offset), 1000));
    await expect(first).rejects.toThrow(/connection reset/);
    expect((await second).size).toBe(20_000);
  });

  it('stops at an aborted signal', async () => {
    const data = randomBytes(20_000);
    const ac = new AbortController();
    const job = store.ingest(sha(data), async function* () {
      yield data.subarray(0, 100);
      ac.abort();
      yield data.subarray(100);
    }, { signal: ac.signal });
    await expect(job).rejects.toSatisfy((e) => isImageStoreError(e, 'ABORTED'));
    expect(await store.has(sha(data))).toBe(false);
  });

  it('never shows a partial blob after the writer is killed, and the next ingest completes', async () => {
    const data = randomBytes(4 << 20);
    const digest = sha(data);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./endless-ingest.test-helper.ts', import.meta.url)), root, digest], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(root, 'blobs', 'sha256', digest.slice(7)))).toBe(false);
    const reopened = await ContentStore.open(root);
    expect(await reopened.list()).toEqual([]);
    // The partial file holds other bytes: the resumed ingest fails verification and is redone from byte 0.
    const offsets: number[] = [];
    const info = await reopened.ingest(digest, (offset) => {
      offsets.push(offset);
      return slices(data.subarray(offset), 1 << 16);
    });
    expect(offsets[0]).toBeGreaterThan(0);
    expect(offsets[1]).toBe(0);
    expect(statSync(reopened.blobPath(digest)).size).toBe(info.size);
    for (const b of await reopened.list()) expect(await reopened.verify(b.digest)).toBe(true);
  });
});
