import { ImageStoreError } from '../errors.js';

/** Kinds of tar entries a layer may contain. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One parsed ustar header block, before PAX/GNU extensions are merged in. */
export interface RawTarHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

export const BLOCK = 512;

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString('utf8');
}

/** Parses an octal field, or a GNU base-256 field (high bit of the first byte set). */
function numeric(block: Buffer, start: number, length: number, field: string): number {
  const raw = block.subarray(start, start + length);
  const first = raw[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new ImageStoreError('TAR_INVALID', `tar header field ${field} is negative`);
    let value = first & 0x7f;
    for (let i = 1; i < raw.length; i++) value = value * 256 + (raw[i] ?? 0);
    if (!Number.isSafeInteger(value)) throw new ImageStoreError('TAR_INVALID', `tar header field ${field} is too large`);
    return value;
  }
  const s = raw.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new ImageStoreError('TAR_INVALID', `tar header field ${field} is not octal: ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

/** True for the all-zero block that marks the end of an archive. */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses and checksums one 512-byte header block. */
export function parseHeader(block: Buffer): RawTarHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  const stored = numeric(block, 148, 8, 'chksum');
  if (stored !== sum) throw new ImageStoreError('TAR_INVALID', `tar header checksum mismatch (stored ${stored}, computed ${sum})`);

  const magic = block.subarray(257, 263).toString('latin1');
  const isUstar = magic === 'ustar\0' || magic === 'ustar ';
  let name = text(block, 0, 100);
  const prefix = magic === 'ustar\0' ? text(block, 345, 155) : '';
  if (prefix !== '') name = `${prefix}/${name}`;
  return {
    name,
    mode: numeric(block, 100, 8, 'mode'),
    uid: numeric(block, 108, 8, 'uid'),
    gid: numeric(block, 116, 8, 'gid'),
    size: numeric(block, 124, 12, 'size'),
    mtime: numeric(block, 136, 12, 'mtime'),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: text(block, 157, 100),
    uname: isUstar ? text(block, 265, 32) : '',
    gname: isUstar ? text(block, 297, 32) : '',
    devmajor: isUstar ? numeric(block, 329, 8, 'devmajor') : 0,
    devminor: isUstar ? numeric(block, 337, 8, 'devminor') : 0,
  };
}

/** Parses PAX extended header records ("<len> <key>=<value>\n"); values stay raw bytes (xattrs are binary). */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    if (space === -1) throw new ImageStoreError('TAR_INVALID', 'PAX record without a length');
    const length = Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= space - pos + 1 || pos + length > data.length) {
      throw new ImageStoreError('TAR_INVALID', `PAX record has a bad length at offset ${pos}`);
    }
    const record = data.subarray(space + 1, pos + length);
    if (record[record.length - 1] !== 0x0a) throw new ImageStoreError('TAR_INVALID', `PAX record at offset ${pos} does not end with a newline`);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new ImageStoreError('TAR_INVALID', `PAX record at offset ${pos} has no key`);
    out.set(record.subarray(0, eq).toString('utf8'), record.subarray(eq + 1, record.length - 1));
    pos += length;
  }
  return out;
}
