import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTar } from './tar-reader.js';
import { tarDirectory } from './tar-directory.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), `shimkit-tardir-${process.pid}-`));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tarDirectory', () => {
  it('archives a tree in sorted order with hardlinks, symlinks, devices and fifos', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'b/sub'), { recursive: true });
    writeFileSync(join(src, 'b/sub/file'), 'content');
    writeFileSync(join(src, 'a-empty'), '');
    linkSync(join(src, 'b/sub/file'), join(src, 'c-link'));
    symlinkSync('/etc/passwd', join(src, 'd-sym'));
    execFileSync('mknod', [join(src, 'e-null'), 'c', '1', '3']);
    execFileSync('mkfifo', [join(src, 'f-fifo')]);
    const seen: string[] = [];
    for await (const { entry, body } of readTar(tarDirectory(src, { prefix: 'root', mtime: 42 }))) {
      let data = '';
      for await (const c of body) data += c.toString();
      const extra = entry.type === 'hardlink' || entry.type === 'symlink' ? ` -> ${entry.linkname}` : entry.type === 'char' ? ` ${entry.devmajor}:${entry.devminor}` : data ? ` "${data}"` : '';
      seen.push(`${entry.type} ${entry.path}${extra} @${entry.mtime}`);
    }
    expect(seen).toEqual([
      'file root/a-empty @42',
      'directory root/b/ @42',
      'directory root/b/sub/ @42',
      'file root/b/sub/file "content" @42',
      'hardlink root/c-link -> root/b/sub/file @42',
      'symlink root/d-sym -> /etc/passwd @42',
      'char root/e-null 1:3 @42',
      'fifo root/f-fifo @42',
    ]);
  });

  it('is read back by GNU tar', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'x'), { recursive: true });
    writeFileSync(join(src, 'x', 'long-'.repeat(30)), 'y'.repeat(70_000));
    const parts: Buffer[] = [];
    for await (const c of tarDirectory(src)) parts.push(c);
    const listing = execFileSync('tar', ['-tv'], { input: Buffer.concat(parts) }).toString();
    expect(listing).toContain(`x/${'long-'.repeat(30)}`);
    expect(listing).toMatch(/70000/);
  });
});
