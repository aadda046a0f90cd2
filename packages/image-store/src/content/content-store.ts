import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest, ImageIndex } from '@shimkit/oci-spec';
import {
  digestAlgorithm, digestHex, isDigestAlgorithm, OCI_LAYOUT_BLOBS_DIR, OCI_LAYOUT_FILE, OCI_LAYOUT_INDEX_FILE,
  OCI_LAYOUT_VERSION, tryParseDigest,
} from '@shimkit/oci-spec';
import { abortError, ImageStoreError, isImageStoreError, throwIfAborted } from '../errors.js';
import { syncDir, writeFileAtomic, writeNewFile } from './atomic-write.js';
import { withIngestLock } from './ingest-lock.js';
import { leftByDeadProcess } from '../process-start.js';

/** A blob known by digest and size. */
export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** Opens the content of a blob from `offset` on (offset > 0 when resuming a partial ingest). */
export type BlobSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
export type BlobSourceOpener = (offset: number, signal?: AbortSignal) => Promise<BlobSource> | BlobSource;

export interface IngestOptions {
  /** Expected size; more or fewer bytes fail with SIZE_MISMATCH. */
  size?: number;
  signal?: AbortSignal;
  /** Called with the number of bytes written so far (resumed bytes included). */
  onProgress?: (written: number) => void;
}

const INGEST_DIR = 'ingest';

/**
 * A content-addressed blob store in OCI image layout form:
 * `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
 *
 * A blob only appears under blobs/ after its bytes were written to
 * `ingest/`, fsynced, verified against the expected digest and size, and
 * renamed into place, so a partial or corrupt blob is never visible, even
 * after a crash. An interrupted ingest leaves its partial file, which the next
 * ingest of the same digest resumes after re-hashing it. Concurrent ingests
 * of one digest in this process share one write.
 */
export class ContentStore {
  private readonly inflight = new Map<string, Promise<BlobInfo>>();

  private constructor(readonly root: string) {}

  /** Opens (creating when missing) a store rooted at `root`. */
  static async open(root: string, options: { signal?: AbortSignal } = {}): Promise<ContentStore> {
    throwIfAborted(options.signal);
    try {
      await mkdir(join(root, OCI_LAYOUT_BLOBS_DIR), { recursive: true });
      await mkdir(join(root, INGEST_DIR), { recursive: true });
      const layout = await readFile(join(root, OCI_LAYOUT_FILE), 'utf8').catch(() => undefined);
      if (layout === undefined) {
        await writeFileAtomic(join(root, OCI_LAYOUT_FILE), JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
      } else if ((JSON.parse(layout) as { imageLayoutVersion?: unknown }).imageLayoutVersion !== OCI_LAYOUT_VERSION) {
        throw new ImageStoreError('STORE_IO', `${root} has an unsupported oci-layout version: ${layout}`);
      }
      const index = await readFile(join(root, OCI_LAYOUT_INDEX_FILE), 'utf8').catch(() => undefined);
      if (index === undefined) await writeFileAtomic(join(root, OCI_LAYOUT_INDEX_FILE), JSON.stringify({ schemaVersion: 2, manifests: [] }));
      // Temp files of interrupted atomic writes are garbage (unless their process still runs: the store is shared); partial ingests stay for resumption.
      for (const name of await readdir(join(root, INGEST_DIR))) {
        if (name.endsWith('.tmp') && leftByDeadProcess(name, /^\.put-(\d+)-/)) await rm(join(root, INGEST_DIR, name), { force: true });
      }
    } catch (e) {
      if (isImageStoreError(e)) throw e;
      throw new ImageStoreError('STORE_IO', `cannot open content store at ${root}: ${(e as Error).message}`, { cause: e });
    }
    return new ContentStore(root);
  }

  /** Path of a committed blob (whether or not it exists). */
  blobPath(digest: Digest): string {
    return join(this.root, OCI_LAYOUT_BLOBS_DIR, digestAlgorithm(digest), digestHex(digest));
  }

  private ingestPath(digest: Digest): string {
    return join(this.root, INGEST_DIR, `${digestAlgorithm(digest)}-${digestHex(digest)}`);
  }

  /** Size of a committed blob, or undefined when it is not in the store. */
  async info(digest: Digest, options: { signal?: AbortSignal } = {}): Promise<BlobInfo | undefined> {
    throwIfAborted(options.signal);
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ImageStoreError('STORE_IO', `cannot stat blob ${digest}: ${(e as Error).message}`, { cause: e });
    }
  }

  async has(digest: Digest, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return (await this.info(digest, options)) !== undefined;
  }

  /** Reads a whole blob (for manifests and configs). */
  async read(digest: Digest, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest), { signal: options.signal });
    } catch (e) {
      if (options.signal?.aborted) throw abortError(options.signal, 'blob read');
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageStoreError('NOT_FOUND', `blob ${digest} is not in the store`, { cause: e });
      throw new ImageStoreError('STORE_IO', `cannot read blob ${digest}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Streams a blob's content. */
  createReadStream(digest: Digest, options: { start?: number } = {}): ReadStream {
    return createReadStream(this.blobPath(digest), { start: options.start, highWaterMark: 1 << 20 });
  }

  /** Stores bytes whose digest is computed here (for content this process made). */
  async put(data: Uint8Array | string, options: { signal?: AbortSignal; algorithm?: 'sha256' | 'sha512' } = {}): Promise<BlobInfo> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const algorithm = options.algorithm ?? 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
    return this.ingest(digest, () => [bytes], { size: bytes.length, signal: options.signal });
  }

  /**
   * Makes sure the blob `digest` is in the store, writing it from `open` when
   * it is not. `open(offset)` is called only when needed, with the number of
   * bytes already on disk from an earlier interrupted ingest.
   */
  async ingest(digest: Digest, open: BlobSourceOpener, options: IngestOptions = {}): Promise<BlobInfo> {
    if (!isDigestAlgorithm(digestAlgorithm(digest)) || tryParseDigest(digest) === undefined) {
      throw new ImageStoreError('INVALID_ARGUMENT', `not a supported digest: ${String(digest)}`);
    }
    throwIfAborted(options.signal, `ingest of ${digest}`);
    for (;;) {
      const existing = await this.info(digest);
      if (existing !== undefined) {
        if (options.size !== undefined && existing.size !== options.size) {
          throw new ImageStoreError('SIZE_MISMATCH', `blob ${digest} in the store has ${existing.size} bytes, expected ${options.size}`);
        }
        return existing;
      }
      const running = this.inflight.get(digest);
      if (running === undefined) break;
      // Another ingest of the same blob is under way: share its result, or take over if it failed.
      await running.catch(() => undefined);
      throwIfAborted(options.signal, `ingest of ${digest}`);
    }
    const job = withIngestLock(this.ingestPath(digest), async () => {
      // Another process may have committed it while this one waited for its lock.
      const committed = await this.info(digest);
      if (committed !== undefined && (options.size === undefined || committed.size === options.size)) return committed;
      return this.writeOrRestart(digest, open, options);
    }, options.signal === undefined ? {} : { signal: options.signal }).finally(() => this.inflight.delete(digest));
    this.inflight.set(digest, job);
    return job;
  }

  /** A resumed ingest whose total fails verification is redone once from byte 0 (the partial file was bad). */
  private async writeOrRestart(digest: Digest, open: BlobSourceOpener, options: IngestOptions): Promise<BlobInfo> {
    const resumed = await stat(this.ingestPath(digest)).then((st) => st.size > 0, () => false);
    try {
      return await this.write(digest, open, options);
    } catch (e) {
      if (!resumed || !isImageStoreError(e, 'DIGEST_MISMATCH')) throw e;
      return this.write(digest, open, options);
    }
  }

  private async write(digest: Digest, openSource: BlobSourceOpener, options: IngestOptions): Promise<BlobInfo> {
    const partial = this.ingestPath(digest);
    const hash = createHash(digestAlgorithm(digest));
    let written = await this.rehashPartial(partial, hash, options.size);
    const fh = await open(partial, written > 0 ? 'r+' : 'w', 0o644);
    let verified = false;
    try {
      const source = await openSource(written, options.signal);
      options.onProgress?.(written);
      for await (const chunk of source) {
        throwIfAborted(options.signal, `ingest of ${digest}`);
        if (options.size !== undefined && written + chunk.length > options.size) {
          throw new ImageStoreError('SIZE_MISMATCH', `blob ${digest} is larger than the expected ${options.size} bytes`);
        }
        await fh.write(chunk, 0, chunk.length, written);
        hash.update(chunk);
        written += chunk.length;
        options.onProgress?.(written);
      }
      throwIfAborted(options.signal, `ingest of ${digest}`);
      if (options.size !== undefined && written !== options.size) {
        throw new ImageStoreError('SIZE_MISMATCH', `blob ${digest} has ${written} bytes, expected ${options.size}`);
      }
      const actual = `${digestAlgorithm(digest)}:${hash.digest('hex')}`;
      if (actual !== digest) throw new ImageStoreError('DIGEST_MISMATCH', `content digest ${actual} does not match expected ${digest}`);
      verified = true;
      await fh.sync();
    } catch (e) {
      await fh.close();
      // Bad content is dropped; content cut short stays for the next ingest to resume.
      if (isImageStoreError(e, 'DIGEST_MISMATCH') || isImageStoreError(e, 'SIZE_MISMATCH')) await rm(partial, { force: true });
      if (isImageStoreError(e)) throw e;
      if (options.signal?.aborted) throw abortError(options.signal, `ingest of ${digest}`);
      throw e;
    }
    await fh.close();
    if (!verified) throw new ImageStoreError('STORE_IO', `ingest of ${digest} ended unverified`);
    const dir = join(this.root, OCI_LAYOUT_BLOBS_DIR, digestAlgorithm(digest));
    await mkdir(dir, { recursive: true });
    await rename(partial, this.blobPath(digest));
    await syncDir(dir);
    return { digest, size: written };
  }

  /** Feeds an earlier partial ingest into `hash`; returns its length (0 when there is none or it is unusable). */
  private async rehashPartial(partial: string, hash: Hash, size: number | undefined): Promise<number> {
    let length: number;
    try {
      length = (await stat(partial)).size;
    } catch {
      return 0;
    }
    if (size !== undefined && length > size) {
      await rm(partial, { force: true });
      return 0;
    }
    let seen = 0;
    for await (const chunk of createReadStream(partial, { end: length - 1, highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      seen += (chunk as Buffer).length;
    }
    return seen;
  }

  /**
   * Stores a stream whose digest is not known in advance (content this
   * process makes, like a new layer); the digest is computed as it is written.
   */
  async putStream(source: BlobSource, options: { signal?: AbortSignal; algorithm?: 'sha256' | 'sha512' } = {}): Promise<BlobInfo> {
    const algorithm = options.algorithm ?? 'sha256';
    const tmp = join(this.root, INGEST_DIR, `.put-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
    const hash = createHash(algorithm);
    let size = 0;
    await writeNewFile(tmp, async (fh) => {
      for await (const chunk of source) {
        throwIfAborted(options.signal, 'blob write');
        await fh.write(chunk);
        hash.update(chunk);
        size += chunk.length;
      }
    });
    const digest = `${algorithm}:${hash.digest('hex')}` as Digest;
    if (await this.has(digest)) {
      await rm(tmp, { force: true });
      return { digest, size };
    }
    const dir = join(this.root, OCI_LAYOUT_BLOBS_DIR, algorithm);
    await mkdir(dir, { recursive: true });
    await rename(tmp, this.blobPath(digest));
    await syncDir(dir);
    return { digest, size };
  }

  /** Deletes a blob; true when it was there. */
  async delete(digest: Digest, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    try {
      await rm(this.blobPath(digest));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new ImageStoreError('STORE_IO', `cannot delete blob ${digest}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Every committed blob. */
  async list(options: { signal?: AbortSignal } = {}): Promise<BlobInfo[]> {
    throwIfAborted(options.signal);
    const out: BlobInfo[] = [];
    const blobs = join(this.root, OCI_LAYOUT_BLOBS_DIR);
    for (const alg of await readdir(blobs)) {
      if (!isDigestAlgorithm(alg)) continue;
      for (const hex of await readdir(join(blobs, alg))) {
        const digest = tryParseDigest(`${alg}:${hex}`);
        if (digest === undefined) continue;
        const st = await stat(join(blobs, alg, hex));
        out.push({ digest, size: st.size });
      }
    }
    return out;
  }

  /** Removes partial ingests (for GC; not while ingests are running). */
  async clearIngests(options: { signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal);
    for (const name of await readdir(join(this.root, INGEST_DIR))) {
      // A name is a partial file, or its lock directory (`.lock`) that a killed process left.
      if (![...this.inflight.keys()].some((d) => name.startsWith(d.replace(':', '-')))) await rm(join(this.root, INGEST_DIR, name), { recursive: true, force: true });
    }
  }

  /** Re-hashes a committed blob; true when its content still matches its digest. */
  async verify(digest: Digest, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const hash = createHash(digestAlgorithm(digest));
    for await (const chunk of this.createReadStream(digest)) {
      throwIfAborted(options.signal);
      hash.update(chunk as Buffer);
    }
    return `${digestAlgorithm(digest)}:${hash.digest('hex')}` === digest;
  }

  /** The layout's index.json. */
  async readIndex(options: { signal?: AbortSignal } = {}): Promise<ImageIndex> {
    throwIfAborted(options.signal);
    return JSON.parse(await readFile(join(this.root, OCI_LAYOUT_INDEX_FILE), 'utf8')) as ImageIndex;
  }

  /** Replaces the layout's index.json atomically. */
  async writeIndex(index: ImageIndex, options: { signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal);
    await writeFileAtomic(join(this.root, OCI_LAYOUT_INDEX_FILE), JSON.stringify(index));
  }
}
