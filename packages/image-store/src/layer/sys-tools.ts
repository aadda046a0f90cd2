import { execFile } from 'node:child_process';
import { ImageStoreError } from '../errors.js';

/*
 * Node has no mknod(2) or setxattr(2). Device nodes, fifos and xattrs are rare
 * in layers, so the coreutils `mknod` and attr's `setfattr` are run for them.
 */

function run(file: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      const detail = missing ? `${file} is not installed` : String(stderr).trim() || err.message;
      reject(new ImageStoreError('LAYER_APPLY_FAILED', `${what}: ${detail}`, { cause: err }));
    });
  });
}

/** Creates a character/block device or a fifo at `path` (never follows an existing link: the path must not exist). */
export function makeNode(path: string, kind: 'char' | 'block' | 'fifo', mode: number, major = 0, minor = 0): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), '--', path];
  if (kind === 'fifo') args.push('p');
  else args.push(kind === 'char' ? 'c' : 'b', String(major), String(minor));
  return run('mknod', args, `mknod ${path}`);
}

/** Sets one extended attribute on `path` itself (not on a symlink's target). */
export function setXattr(path: string, name: string, value: Buffer): Promise<void> {
  const valueArgs = value.length === 0 ? [] : ['-v', '0s' + value.toString('base64')];
  return run('setfattr', ['-h', '-n', name, ...valueArgs, '--', path], `setfattr ${name} on ${path}`);
}
