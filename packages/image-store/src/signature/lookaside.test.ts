import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '@shimkit/oci-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookasideUrl, readLookasideSignatures, writeLookasideSignature } from './lookaside.js';

const digest = `sha256:${'d'.repeat(64)}` as Digest;
const repo = { path: 'team/app' };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shimkit-lookaside-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lookaside signature stores', () => {
  it('lays signatures out as <repo>@<algorithm>=<hex>/signature-<n>', () => {
    expect(lookasideUrl('file:///srv/sigs/', { repository: repo, digest, index: 2 }).href).toBe(`file:///srv/sigs/team/app@sha256=${'d'.repeat(64)}/signature-2`);
    expect(lookasideUrl('https://sigs.example.com/base', { repository: repo, digest, index: 1 }).pathname).toBe(`/base/team/app@sha256=${'d'.repeat(64)}/signature-1`);
  });

  it('adds signatures after the existing ones in a file store, not twice the same, and reads them back in order', async () => {
    const base = `file://${dir}`;
    expect(await readLookasideSignatures(base, { repository: repo, digest })).toEqual([]);
    const first = await writeLookasideSignature(base, Buffer.from('one'), { repository: repo, digest });
    const second = await writeLookasideSignature(base, Buffer.from('two'), { repository: repo, digest });
    expect(await writeLookasideSignature(base, Buffer.from('one'), { repository: repo, digest })).toBe(first);
    expect(second).toBe(join(dir, `team/app@sha256=${'d'.repeat(64)}`, 'signature-2'));
    expect(await readFile(second, 'utf8')).toBe('two');
    expect((await readLookasideSignatures(base, { repository: repo, digest })).map(String)).toEqual(['one', 'two']);
    await expect(writeLookasideSignature('https://sigs.example.com', Buffer.from('x'), { repository: repo, digest })).rejects.toThrow('signatures can only be written to a file:// lookaside');
  });

  it('reads an http store until the first 404, and names a server error', async () => {
    const served = new Map([[`/sigs/team/app@sha256=${'d'.repeat(64)}/signature-1`, 'a'], [`/sigs/team/app@sha256=${'d'.repeat(64)}/signature-2`, 'b']]);
    let broken = false;
    const server = createServer((req, res) => {
      const body = served.get(req.url ?? '');
      if (broken) res.writeHead(500).end();
      else if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sigs`;
    try {
      expect((await readLookasideSignatures(base, { repository: repo, digest })).map(String)).toEqual(['a', 'b']);
      broken = true;
      await expect(readLookasideSignatures(base, { repository: repo, digest })).rejects.toThrow(`reading signature ${base}/team/app@sha256=${'d'.repeat(64)}/signature-1: HTTP 500`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
