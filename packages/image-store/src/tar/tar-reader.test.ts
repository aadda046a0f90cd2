import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import type { TarEntry } from './tar-reader.js';
import { readTar } from './tar-reader.js';
import { buildTar } from './tar-writer.js';

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(data: Buffer, chunkSize = 7): Promise<Array<{ entry: TarEntry; data: Buffer }>> {
  const out: Array<{ entry: TarEntry; data: Buffer }> = [];
  for await (const { entry, body } of readTar(chunks(data, chunkSize))) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    out.push({ entry, data: Buffer.concat(parts) });
  }
  return out;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('readTar', () => {
  it('reads what GNU tar writes in PAX format: long names, links, xattrs', async () => {
    const dir = mkdtempSync(join(tmpdir(), `shimkit-tar-${process.pid}-`));
    dirs.push(dir);
    const src = join(dir, 'src');
    const longDir = 'd'.repeat(60) + '/' + 'e'.repeat(60);
    mkdirSync(join(src, longDir), { recursive: true });
    writeFileSync(join(src, longDir, 'file.txt'), 'hello long name');
    writeFileSync(join(src, 'big'), Buffer.alloc(70_000, 7));
    linkSync(join(src, 'big'), join(src, 'big-link'));
    symlinkSync('/etc/' + 'x'.repeat(150), join(src, 'sym'));
    execFileSync('setfattr', ['-n', 'user.test', '-v', 'value1', join(src, 'big')]);
    const archive = join(dir, 'a.tar');
    execFileSync('tar', ['--format=pax', '--xattrs', '--xattrs-include=*', '-C', src, '-cf', archive, '.']);
    const { readFileSync } = await import('node:fs');
    const items = await collect(readFileSync(archive), 1000);
    const byPath = new Map(items.map((i) => [i.entry.path, i]));
    expect(byPath.get(`./${longDir}/file.txt`)?.data.toString()).toBe('hello long name');
    // readdir order decides which of the two names carries the data and which is the hardlink
    const pair = [byPath.get('./big')!, byPath.get('./big-link')!];
    const file = pair.find((p) => p.entry.type === 'file')!;
    const hard = pair.find((p) => p.entry.type === 'hardlink')!;
    expect(file.data.length).toBe(70_000);
    expect(file.entry.xattrs.get('user.test')?.toString()).toBe('value1');
    expect(hard.entry.linkname).toBe(file.entry.path);
    expect(byPath.get('./sym')?.entry).toMatchObject({ type: 'symlink', linkname: '/etc/' + 'x'.repeat(150) });
    expect(byPath.get(`./${longDir}/`)?.entry.type).toBe('directory');
  });

  it('round-trips the writer, including bodies skipped by the consumer', async () => {
    const tar = buildTar([
      { path: 'a', type: 'file', data: 'A'.repeat(513), mode: 0o4755, uid: 10, gid: 20, mtime: 1234 },
      { path: 'b', type: 'file', data: 'B' },
      { path: 'dev', type: 'char', devmajor: 1, devminor: 3 },
      { path: 'p'.repeat(150), type: 'file', data: 'long', xattrs: { 'security.capability': Buffer.from([1, 0, 255]) } },
    ]);
    const seen: string[] = [];
    for await (const { entry, body } of readTar(chunks(tar, 100))) {
      seen.push(entry.path);
      if (entry.path === 'b') for await (const c of body) expect(c.toString()).toBe('B');
      if (entry.path === 'a') {
        expect(entry).toMatchObject({ mode: 0o4755, uid: 10, gid: 20, mtime: 1234, size: 513 });
        for await (const _ of body) break; // read one chunk, leave the rest
      }
      if (entry.path === 'dev') expect(entry).toMatchObject({ type: 'char', devmajor: 1, devminor: 3 });
      if (entry.path.startsWith('ppp')) expect([...entry.xattrs.get('security.capability')!]).toEqual([1, 0, 255]);
    }
    expect(seen).toEqual(['a', 'b', 'dev', 'p'.repeat(150)]);
  });

  it('rejects a truncated archive', async () => {
    const tar = buildTar([{ path: 'a', type: 'file', data: 'x'.repeat(2000) }]);
    await expect(collect(tar.subarray(0, 1200))).rejects.toSatisfy((e) => isImageStoreError(e, 'TAR_INVALID') && /truncated/.test((e as Error).message));
    // an archive that ends cleanly at a header boundary without end blocks is accepted (umoci writes those)
    const noEnd = tar.subarray(0, tar.length - 1024);
    expect((await collect(noEnd)).map((i) => i.data.length)).toEqual([2000]);
  });

  it('rejects a corrupted header checksum', async () => {
    const tar = buildTar([{ path: 'a', type: 'file', data: 'x' }]);
    tar[0] = 'z'.charCodeAt(0);
    await expect(collect(tar)).rejects.toSatisfy((e) => isImageStoreError(e, 'TAR_INVALID') && /checksum/.test((e as Error).message));
  });

  it('rejects an unsupported entry type by name', async () => {
    const tar = buildTar([{ path: 'sparse', type: 'file', data: 'x' }]);
    tar[156] = 'S'.charCodeAt(0);
    // fix the checksum for the changed type flag
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i]!;
    tar.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
    await expect(collect(tar)).rejects.toSatisfy((e) => isImageStoreError(e, 'LAYER_UNSUPPORTED_ENTRY') && /"S"/.test((e as Error).message));
  });
});
