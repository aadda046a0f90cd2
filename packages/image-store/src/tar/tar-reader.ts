import { ImageStoreError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import type { RawTarHeader, TarEntryType } from './tar-header.js';
import { BLOCK, isZeroBlock, parseHeader, parsePax } from './tar-header.js';

/** One entry of a tar stream, with PAX and GNU long-name extensions applied. */
export interface TarEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  /** Seconds since the epoch; PAX may give a fraction. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records. */
  xattrs: Map<string, Buffer>;
}

/** An entry plus its body; the body must be read (or left alone) before asking for the next entry. */
export interface TarItem {
  entry: TarEntry;
  body: AsyncIterable<Buffer>;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file',
  '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'directory', '6': 'fifo',
};

/** Upper bound on a PAX or GNU long-name payload; real ones are tiny. */
const MAX_META = 1 << 20;

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * Reads a tar stream entry by entry (ustar, GNU and PAX formats). Stops at the
 * end-of-archive blocks, drains trailing padding, and rejects truncated or
 * corrupt archives with TAR_INVALID.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarItem> {
  const reader = new ByteReader(source);
  const truncated = () => new ImageStoreError('TAR_INVALID', 'tar stream is truncated');
  let globalPax = new Map<string, Buffer>();
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;

  const readMeta = async (header: RawTarHeader): Promise<Buffer> => {
    if (header.size > MAX_META) throw new ImageStoreError('TAR_INVALID', `tar metadata entry of ${header.size} bytes is too large`);
    const data = await reader.read(header.size);
    if (data.length < header.size) throw truncated();
    if ((await reader.skip(padding(header.size))) < padding(header.size)) throw truncated();
    return Buffer.from(data);
  };

  for (;;) {
    const block = await reader.read(BLOCK);
    // Some writers (umoci) omit the end-of-archive blocks; like GNU tar, a clean end at a header boundary is accepted.
    // Truncation is caught by the layer's digest and diff id, which cover every byte.
    if (block.length === 0) return;
    if (block.length < BLOCK) throw truncated();
    if (isZeroBlock(block)) {
      // A second zero block normally follows; some writers omit it. Either way the archive is over.
      await reader.drain();
      return;
    }
    const header = parseHeader(block);
    switch (header.typeflag) {
      case 'x':
        pax = parsePax(await readMeta(header));
        continue;
      case 'g':
        globalPax = new Map([...globalPax, ...parsePax(await readMeta(header))]);
        continue;
      case 'L':
        longName = (await readMeta(header)).toString('utf8').replace(/\0+$/, '');
        continue;
      case 'K':
        longLink = (await readMeta(header)).toString('utf8').replace(/\0+$/, '');
        continue;
    }
    const type = TYPES[header.typeflag];
    const fields = new Map([...globalPax, ...(pax ?? [])]);
    const str = (key: string) => fields.get(key)?.toString('utf8');
    const num = (key: string, fallback: number) => {
      const v = str(key);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new ImageStoreError('TAR_INVALID', `PAX ${key} is not a number: ${JSON.stringify(v)}`);
      return n;
    };
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of fields) {
      if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    }
    const path = str('path') ?? longName ?? header.name;
    const entry: TarEntry = {
      path,
      type: type ?? 'file',
      mode: header.mode & 0o7777,
      uid: num('uid', header.uid),
      gid: num('gid', header.gid),
      uname: str('uname') ?? header.uname,
      gname: str('gname') ?? header.gname,
      size: num('size', header.size),
      mtime: num('mtime', header.mtime),
      linkname: str('linkpath') ?? longLink ?? header.linkname,
      devmajor: header.devmajor,
      devminor: header.devminor,
      xattrs,
    };
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    if (type === undefined) {
      throw new ImageStoreError('LAYER_UNSUPPORTED_ENTRY', `tar entry ${JSON.stringify(path)} has unsupported type ${JSON.stringify(header.typeflag)}`);
    }
    // Only regular files carry data; a hardlink's or directory's size field is ignored as tar does.
    const dataSize = type === 'file' ? entry.size : 0;
    if (type !== 'file') entry.size = 0;
    let started = false;
    let bodyRead = 0;
    const body: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => {
        if (started) throw new ImageStoreError('INVALID_ARGUMENT', `body of ${path} was already read`);
        started = true;
        return (async function* () {
          for await (const chunk of reader.stream(dataSize, truncated)) {
            bodyRead += chunk.length;
            yield chunk;
          }
        })();
      },
    };
    yield { entry, body };
    started = true;
    // Whatever the consumer left unread, plus the block padding, is skipped here.
    const rest = dataSize - bodyRead + padding(dataSize);
    if ((await reader.skip(rest)) < rest) throw truncated();
  }
}
