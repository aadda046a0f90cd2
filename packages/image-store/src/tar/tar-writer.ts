import { ImageStoreError } from '../errors.js';
import type { TarEntryType } from './tar-header.js';
import { BLOCK } from './tar-header.js';

/** What the tar writer needs to describe one entry; omitted fields get neutral defaults. */
export interface TarWriteEntry {
  path: string;
  type: TarEntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch. */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer> | Record<string, string | Buffer>;
  /** File content; only for type 'file'. */
  data?: Buffer | string;
}

const FLAGS: Record<TarEntryType, string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6',
};

function octal(block: Buffer, start: number, length: number, value: number): boolean {
  const s = Math.floor(value).toString(8);
  if (s.length > length - 1) return false;
  block.write(s.padStart(length - 1, '0') + '\0', start, length, 'latin1');
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

function header(name: string, typeflag: string, size: number, e: TarWriteEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  octal(block, 100, 8, e.mode ?? (e.type === 'directory' ? 0o755 : 0o644));
  octal(block, 108, 8, e.uid ?? 0);
  octal(block, 116, 8, e.gid ?? 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, e.mtime ?? 0);
  block.write(typeflag, 156, 1, 'latin1');
  block.write(e.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 8, 'latin1');
  block.write(e.uname ?? '', 265, 32, 'utf8');
  block.write(e.gname ?? '', 297, 32, 'utf8');
  octal(block, 329, 8, e.devmajor ?? 0);
  octal(block, 337, 8, e.devminor ?? 0);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i] ?? 0;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

function pad(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Encodes one entry (with a PAX header when names, ids or xattrs need it) into tar blocks. */
export function encodeTarEntry(e: TarWriteEntry): Buffer {
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  if (e.type !== 'file' && data.length > 0) throw new ImageStoreError('INVALID_ARGUMENT', `tar entry ${e.path}: only files carry data`);
  return Buffer.concat([encodeTarHeader(e, data.length), data, pad(data.length)]);
}

/**
 * Encodes the header blocks of an entry whose `size` content bytes the caller
 * streams next, followed by tarPadding(size).
 */
export function encodeTarHeader(e: TarWriteEntry, size: number): Buffer {
  const records: Buffer[] = [];
  if (size > 0o77777777777) records.push(paxRecord('size', Buffer.from(String(size))));
  if (Buffer.byteLength(e.path) > 100) records.push(paxRecord('path', Buffer.from(e.path)));
  if (Buffer.byteLength(e.linkname ?? '') > 100) records.push(paxRecord('linkpath', Buffer.from(e.linkname ?? '')));
  for (const [key, value] of [['uid', e.uid ?? 0], ['gid', e.gid ?? 0]] as const) {
    if (value > 0o7777777) records.push(paxRecord(key, Buffer.from(String(value))));
  }
  const xattrs = e.xattrs instanceof Map ? e.xattrs : new Map(Object.entries(e.xattrs ?? {}));
  for (const [name, value] of xattrs) records.push(paxRecord(`SCHILY.xattr.${name}`, Buffer.from(value)));
  const parts: Buffer[] = [];
  if (records.length > 0) {
    const pax = Buffer.concat(records);
    parts.push(header('PaxHeaders/' + e.path.slice(-80), 'x', pax.length, { path: '', type: 'file', mode: 0o644 }), pax, pad(pax.length));
  }
  parts.push(header(e.path.slice(0, 100), FLAGS[e.type], size, e));
  return Buffer.concat(parts);
}

/** Zero bytes that pad `size` content bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  return pad(size);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

/** Builds a whole archive in memory; meant for small archives (tests, config layers). */
export function buildTar(entries: Iterable<TarWriteEntry>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(encodeTarEntry(e));
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
