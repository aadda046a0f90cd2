import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as NodeTls from 'node:tls';
import type { Agent } from 'undici';
import type { Descriptor, Digest, ImageReference, Manifest, MediaType, Platform } from '@shimkit/oci-spec';
import {
  digestAlgorithm, hostPlatform, isOciSpecError, MediaType as MT, parseImageReference, selectManifest, tryParseDigest,
} from '@shimkit/oci-spec';
import { verifyStream } from '../content/verify-stream.js';
import { ImageStoreError } from '../errors.js';
import type { ManifestDocument } from '../images/manifest-document.js';
import { parseManifestDocument } from '../images/manifest-document.js';
import { Authorizer } from './authorizer.js';
import type { CredentialsProvider, RegistryCredentials } from './credentials.js';
import type { HttpResponse, RequestBody, TransportOptions } from './http-transport.js';
import { HttpTransport, isStreamedBody, readAll, undici } from './http-transport.js';
import type { PushBlobOptions, PushBlobResult } from './blob-push.js';
import { pushBlob, pushManifest } from './blob-push.js';
import { registryError } from './registry-error.js';
import { blobRanges } from './blob-fetch.js';
import { listReferrers } from './referrers.js';
import { loadOnUse } from '../load-on-use.js';

// node:tls loads only for a registry with its own CA certificates (and cannot be in the CLI's startup snapshot)
const nodeTls = loadOnUse<typeof NodeTls>('node:tls');

/** TLS settings of one host: CAs to trust besides the system's, a client certificate, or no verification. */
export interface RegistryTls {
  /** A CA bundle (PEM). */
  ca?: string | Buffer;
  /** CA bundle files (PEM). */
  caFile?: string | string[];
  /** A client certificate (PEM) presented to the host, with `keyFile` (mutual TLS). */
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

/** Per-registry settings, keyed by host (`docker.io`, `127.0.0.1:5000`). */
export interface RegistryHostConfig {
  /** Talk plain HTTP (default for localhost, 127.0.0.0/8 and ::1, unless `tls` names a CA or client certificate). */
  plainHttp?: boolean;
  /**
   * The `host[:port]` that serves this registry's API when it is not the registry's own name
   * (containerd's `server`, registries.conf's `location`); its plainHttp and TLS are this entry's.
   */
  endpoint?: string;
  /** Refuse every request for this registry (registries.conf's `blocked`). */
  blocked?: boolean;
  /** Credentials for this host; take precedence over `credentials`. */
  credentials?: RegistryCredentials;
  /**
   * Mirror hosts tried in order for reads (manifests, blobs, tags) before this
   * host itself, like containerd's hosts.toml. Each mirror's own settings
   * (plainHttp, credentials) come from its entry in `hosts`.
   */
  mirrors?: string[];
  tls?: RegistryTls;
}

export interface RegistryClientOptions extends TransportOptions {
  /** Credentials by host, e.g. from loadDockerConfig(). */
  credentials?: CredentialsProvider;
  hosts?: Record<string, RegistryHostConfig>;
}

/** A manifest or index as served, verified against its digest. */
export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
  document: ManifestDocument;
}

/** An image manifest resolved from a reference, through an index when there was one. */
export interface ResolvedImage {
  reference: ImageReference;
  /** The index the reference named, for a multi-platform image. */
  index?: FetchedManifest;
  manifest: FetchedManifest & { document: { kind: 'manifest'; manifest: Manifest } };
}

export interface BlobReadOptions {
  /** Start at this byte (resuming a partial download). */
  offset?: number;
  /** Check size and digest at the end (default true; the content store verifies on its own). */
  verify?: boolean;
  signal?: AbortSignal;
}

/** Manifest types asked for, best first. */
export const MANIFEST_ACCEPT = [MT.OciIndex, MT.OciManifest, MT.DockerManifestList, MT.DockerManifest].join(', ');

/** Manifests above this size are refused (the distribution spec suggests registries accept at least 4 MiB). */
const MAX_MANIFEST = 4 << 20;
const MAX_TAG_PAGES = 1000;

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name);
}

function digestOfBytes(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}

/**
 * A client of the OCI distribution API: ping, manifests (GET/HEAD, index to
 * platform), blobs (redirects, Range resume, verification) and tag listing,
 * with anonymous, basic and bearer-token auth. Everything fetched is checked
 * against its digest.
 */
export class RegistryClient implements AsyncDisposable {
  readonly transport: HttpTransport;
  private readonly agents = new Map<string, Agent>();
  private readonly authorizer: Authorizer;
  private readonly hosts: Record<string, RegistryHostConfig>;

  private readonly options: RegistryClientOptions;

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.transport = new HttpTransport(options);
    this.hosts = options.hosts ?? {};
    this.authorizer = new Authorizer(this.transport, (host) => this.hosts[host]?.credentials ?? options.credentials?.(host), (host) => this.dispatcherFor(host));
  }

  /**
   * A client that uses `credentials` for `host` (e.g. the AuthConfig of one
   * CRI PullImage call) and this client's settings otherwise. It has its own
   * token cache, so tokens got with those credentials stay with it.
   */
  withCredentials(host: string, credentials: RegistryCredentials): RegistryClient {
    const base = this.options.credentials;
    return new RegistryClient({
      ...this.options,
      hosts: { ...this.hosts, [host]: { ...this.hosts[host], credentials } },
      credentials: (h) => (h === host ? credentials : base?.(h)),
    });
  }

  /** A connection pool with the host's TLS settings, when it has any. */
  private dispatcherFor(host: string): Agent | undefined {
    const tls = this.hosts[host]?.tls;
    if (tls === undefined) return undefined;
    let agent = this.agents.get(host);
    if (agent === undefined) {
      const read = (file: string, what: string): string => {
        try {
          return readFileSync(file, 'utf8');
        } catch (e) {
          throw new ImageStoreError('INVALID_ARGUMENT', `cannot read ${what} ${file} for ${host}: ${(e as Error).message}`, { cause: e });
        }
      };
      const caFiles = tls.caFile === undefined ? [] : [tls.caFile].flat();
      const extra = [...(tls.ca === undefined ? [] : [tls.ca.toString()]), ...caFiles.map((f) => read(f, 'CA file'))];
      if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
        throw new ImageStoreError('INVALID_ARGUMENT', `client certificate for ${host}: certFile and keyFile go together, got only ${tls.certFile === undefined ? 'keyFile' : 'certFile'}`);
      }
      agent = new (undici().Agent)({
        connect: {
          rejectUnauthorized: tls.insecureSkipVerify !== true,
          ...(extra.length === 0 ? {} : { ca: [...nodeTls().rootCertificates, ...extra] }),
          ...(tls.certFile === undefined || tls.keyFile === undefined ? {} : { cert: read(tls.certFile, 'client certificate'), key: read(tls.keyFile, 'client key') }),
        },
      });
      this.agents.set(host, agent);
    }
    return agent;
  }

  /** Closes the connection pools of hosts with TLS settings. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Base URL of a registry host's API. */
  baseUrl(host: string): string {
    const config = this.hosts[host];
    const endpoint = config?.endpoint ?? (host === 'docker.io' ? 'registry-1.docker.io' : host);
    // A CA or client certificate for a host means it speaks TLS, on loopback too.
    const { ca, caFile, certFile } = config?.tls ?? {};
    const plain = config?.plainHttp ?? (ca === undefined && caFile === undefined && certFile === undefined && isLoopback(endpoint));
    return `${plain ? 'http' : 'https'}://${endpoint}`;
  }

  /**
   * Sends an authorized request for a repository path. A 401 is answered once
   * with fresh credentials for the challenge; what follows is returned as is.
   */
  async request(
    ref: Pick<ImageReference, 'domain' | 'path'>,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: RequestBody; signal?: AbortSignal; retry?: boolean; actions?: string; url?: string },
  ): Promise<HttpResponse> {
    if (this.hosts[ref.domain]?.blocked === true) {
      throw new ImageStoreError('REGISTRY_DENIED', `registry ${ref.domain} is blocked by the registry configuration`);
    }
    const method = init.method ?? 'GET';
    const mirrors = init.url === undefined && (method === 'GET' || method === 'HEAD') ? (this.hosts[ref.domain]?.mirrors ?? []) : [];
    for (const mirror of mirrors) {
      try {
        // Like containerd, tell the mirror which registry the request is for.
        const url = new URL(`${this.baseUrl(mirror)}/v2/${ref.path === '' ? '' : `${ref.path}/`}${path}`);
        url.searchParams.set('ns', ref.domain);
        const res = await this.requestHost(mirror, ref.path, path, { ...init, url: url.toString() });
        if (res.response.status < 400) return res;
        // A mirror that lacks the content or fails is skipped; the next one, then the registry itself, is asked.
        res.abort();
      } catch (e) {
        if (init.signal?.aborted) throw e;
      }
    }
    return this.requestHost(ref.domain, ref.path, path, init);
  }

  private async requestHost(
    domain: string,
    repository: string,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: RequestBody; signal?: AbortSignal; retry?: boolean; actions?: string; url?: string },
  ): Promise<HttpResponse> {
    const ref = { domain, path: repository };
    const scope = ref.path === '' ? 'registry:catalog:*' : `repository:${ref.path}:${init.actions ?? 'pull'}`;
    const url = init.url ?? `${this.baseUrl(ref.domain)}/v2/${ref.path === '' ? '' : `${ref.path}/`}${path}`;
    const send = async (authorization: string | undefined) => {
      const headers = { ...init.headers };
      if (authorization !== undefined) headers.authorization = authorization;
      return this.transport.send({ url, method: init.method, headers, body: init.body, signal: init.signal, retry: init.retry, dispatcher: this.dispatcherFor(domain) });
    };
    let res = await send(await this.authorizer.header(ref.domain, scope, init.signal));
    // A streamed body is gone once sent: its 401 is the answer.
    if (res.response.status === 401 && !isStreamedBody(init.body)) {
      const challenge = res.response.headers.get('www-authenticate');
      res.abort();
      res = await send(await this.authorizer.challenged(ref.domain, scope, challenge, init.signal));
      if (res.response.status === 401) this.authorizer.forget(ref.domain, scope);
    }
    return res;
  }

  /** Checks that `host` speaks the distribution API (`GET /v2/`), authenticating if it asks. */
  async ping(host: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const res = await this.request({ domain: host, path: '' }, '', { signal: options.signal });
    if (res.response.status !== 200) await this.fail(res, `ping ${host}`, options.signal);
    res.abort();
  }

  private parseRef(ref: ImageReference | string): ImageReference {
    if (typeof ref !== 'string') return ref;
    try {
      return parseImageReference(ref);
    } catch (e) {
      throw new ImageStoreError('INVALID_ARGUMENT', `invalid image reference ${JSON.stringify(ref)}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** GETs a manifest or index by tag or digest and verifies it. */
  async getManifest(refIn: ImageReference | string, options: { digest?: Digest; signal?: AbortSignal } = {}): Promise<FetchedManifest> {
    const ref = this.parseRef(refIn);
    const expected = options.digest ?? ref.digest;
    const target = expected ?? ref.tag ?? 'latest';
    const what = `manifest ${ref.domain}/${ref.path}:${target}`;
    const res = await this.request(ref, `manifests/${target}`, { headers: { accept: MANIFEST_ACCEPT }, signal: options.signal });
    if (res.response.status !== 200) await this.fail(res, what, options.signal);
    const bytes = await readAll(res, this.transport.progressTimeoutMs, MAX_MANIFEST, options.signal);
    const header = tryParseDigest(res.response.headers.get('docker-content-digest'));
    const check = expected ?? header;
    const digest = digestOfBytes(bytes, check ? digestAlgorithm(check) : 'sha256');
    if (check !== undefined && digest !== check) {
      throw new ImageStoreError('DIGEST_MISMATCH', `${what}: content digest ${digest} does not match ${expected ? 'the requested' : 'the Docker-Content-Digest'} ${check}`);
    }
    const document = parseManifestDocument(bytes, res.response.headers.get('content-type'));
    return { descriptor: { mediaType: document.mediaType, digest, size: bytes.length }, bytes, document };
  }

  /** HEADs a manifest: its descriptor without the body, or undefined when the registry does not have it. */
  async headManifest(refIn: ImageReference | string, options: { signal?: AbortSignal } = {}): Promise<Descriptor | undefined> {
    const ref = this.parseRef(refIn);
    const target = ref.digest ?? ref.tag ?? 'latest';
    const res = await this.request(ref, `manifests/${target}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT }, signal: options.signal });
    res.abort();
    const { status, headers } = res.response;
    if (status === 404) return undefined;
    if (status !== 200) throw registryError(status, '', `HEAD manifest ${ref.domain}/${ref.path}:${target}`);
    const digest = tryParseDigest(headers.get('docker-content-digest')) ?? ref.digest;
    if (digest === undefined) throw new ImageStoreError('REGISTRY_PROTOCOL', `HEAD manifest ${ref.path}:${target}: no Docker-Content-Digest header`);
    if (ref.digest !== undefined && digest !== ref.digest) {
      throw new ImageStoreError('DIGEST_MISMATCH', `HEAD manifest ${ref.path}: registry reports ${digest} for ${ref.digest}`);
    }
    const size = Number(headers.get('content-length') ?? NaN);
    const mediaType = (headers.get('content-type') ?? MT.OciManifest).split(';')[0]!.trim() as MediaType;
    return { mediaType, digest, size: Number.isSafeInteger(size) ? size : 0 };
  }

  /**
   * Resolves a reference to one image manifest: an index is narrowed to the
   * manifest for `platform` (default: this host's) and that one fetched by digest.
   */
  async resolve(refIn: ImageReference | string, options: { platform?: Platform; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    const reference = this.parseRef(refIn);
    const top = await this.getManifest(reference, { signal: options.signal });
    if (top.document.kind === 'manifest') return { reference, manifest: top as ResolvedImage['manifest'] };
    const platform = options.platform ?? hostPlatform();
    let chosen: Descriptor;
    try {
      chosen = selectManifest(top.document.index, platform);
    } catch (e) {
      if (isOciSpecError(e)) throw new ImageStoreError('NO_MATCHING_PLATFORM', `${reference.domain}/${reference.path}: ${e.message}`, { cause: e });
      throw e;
    }
    const manifest = await this.getManifest(reference, { digest: chosen.digest, signal: options.signal });
    if (manifest.document.kind !== 'manifest') {
      throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `${reference.path}: index entry ${chosen.digest} is itself an index`);
    }
    if (manifest.bytes.length !== chosen.size) {
      throw new ImageStoreError('SIZE_MISMATCH', `manifest ${chosen.digest} has ${manifest.bytes.length} bytes, the index says ${chosen.size}`);
    }
    return { reference, index: top, manifest: manifest as ResolvedImage['manifest'] };
  }

  /**
   * Streams a blob. Redirects are followed (without the registry's
   * credentials on another host); a connection that breaks or a body cut
   * short is resumed with a Range request, a bounded number of times.
   */
  async *blob(refIn: ImageReference | string, descriptor: Pick<Descriptor, 'digest' | 'size'>, options: BlobReadOptions = {}): AsyncGenerator<Buffer> {
    const ref = this.parseRef(refIn);
    const stream = blobRanges(this, ref, descriptor, options.offset ?? 0, options.signal);
    if (options.verify === false || (options.offset ?? 0) > 0) {
      yield* stream;
      return;
    }
    yield* verifyStream(stream, descriptor, `blob`);
  }

  /** Reads a small blob (a config) whole, verified. */
  async getBlob(refIn: ImageReference | string, descriptor: Pick<Descriptor, 'digest' | 'size'>, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    if (descriptor.size > MAX_MANIFEST * 4) throw new ImageStoreError('INVALID_ARGUMENT', `blob ${descriptor.digest} is too large to read whole`);
    const parts: Buffer[] = [];
    for await (const chunk of this.blob(refIn, descriptor, { signal: options.signal })) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /**
   * The manifests that refer to `digest` through their `subject` (signatures,
   * SBOMs, ...): the referrers API, or the `<alg>-<hex>` tag schema when the
   * registry has no such API. Optionally filtered by artifact type.
   */
  async listReferrers(refIn: ImageReference | string, digest: Digest, options: { artifactType?: string; signal?: AbortSignal } = {}): Promise<Descriptor[]> {
    return listReferrers(this, this.parseRef(refIn), digest, options);
  }

  /** Reads a failed response's body (bounded) and throws the registry's error for it. */
  async fail(res: HttpResponse, what: string, signal?: AbortSignal): Promise<never> {
    const body = await readAll(res, this.transport.progressTimeoutMs, 64 << 10, signal).catch(() => Buffer.alloc(0));
    throw registryError(res.response.status, body.toString('utf8'), what);
  }

  /** Bounded stall time for response bodies (from the transport options). */
  get progressTimeoutMs(): number {
    return this.transport.progressTimeoutMs;
  }

  /**
   * Uploads a blob unless the repository already has it (HEAD), trying a
   * cross-repository mount first when `mountFrom` is given; blobs above
   * `chunkSize` go up in PATCH chunks. `open` is called only when bytes are needed.
   */
  async pushBlob(
    refIn: ImageReference | string,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    open: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: PushBlobOptions = {},
  ): Promise<PushBlobResult> {
    return pushBlob(this, this.parseRef(refIn), descriptor, open, options);
  }

  /** PUTs a manifest or index under `tag` (default: the reference's tag, else its digest). */
  async pushManifest(refIn: ImageReference | string, bytes: Uint8Array, mediaType: string, options: { tag?: string; signal?: AbortSignal } = {}): Promise<Digest> {
    const ref = this.parseRef(refIn);
    const digest = digestOfBytes(bytes);
    const reported = await pushManifest(this, ref, options.tag ?? ref.tag ?? digest, bytes, mediaType, { signal: options.signal });
    if (reported !== undefined && tryParseDigest(reported) !== undefined && reported !== digest) {
      throw new ImageStoreError('DIGEST_MISMATCH', `registry stored manifest ${ref.path} as ${reported}, expected ${digest}`);
    }
    return digest;
  }

  /** Gives an existing manifest (by the reference's tag or digest) another tag in the same repository. */
  async tag(refIn: ImageReference | string, tag: string, options: { signal?: AbortSignal } = {}): Promise<Digest> {
    const existing = await this.getManifest(refIn, options);
    return this.pushManifest(refIn, existing.bytes, existing.descriptor.mediaType, { tag, signal: options.signal });
  }

  /** Lists a repository's tags, following `Link: <...>; rel="next"` pagination. */
  async listTags(refIn: ImageReference | string, options: { pageSize?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    const ref = this.parseRef(refIn);
    const tags: string[] = [];
    let url: string | undefined = `${this.baseUrl(ref.domain)}/v2/${ref.path}/tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_TAG_PAGES) throw new ImageStoreError('REGISTRY_PROTOCOL', `tags of ${ref.path}: more than ${MAX_TAG_PAGES} pages`);
      const res = await this.request(ref, 'tags/list', { url, signal: options.signal });
      if (res.response.status !== 200) await this.fail(res, `tags of ${ref.domain}/${ref.path}`, options.signal);
      const link = res.response.headers.get('link');
      const doc = JSON.parse((await readAll(res, this.transport.progressTimeoutMs, 16 << 20, options.signal)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(doc.tags ?? []));
      const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
      url = next === undefined ? undefined : new URL(next, url).toString();
    }
    return tags;
  }
}
