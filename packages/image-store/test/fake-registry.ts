import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault hook: return true when it answered the request itself. */
export type Fault = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface FakeRegistryOptions {
  /** Require `Bearer <token>` where the token is what `tokenFor(scope)` gives; challenge points at `realm`. */
  bearer?: { realm: string; service: string; tokenFor: (scope: string) => string };
  /** Serve blob GETs by redirecting to this base URL (`<base>/<digest>`). */
  redirectBlobsTo?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export const sha256 = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * A minimal in-process distribution registry on 127.0.0.1 for fault injection:
 * manifests by tag or digest, blobs with Range, tags/list with pagination,
 * optional bearer auth, and a queue of one-shot faults.
 */
export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { body: Buffer; mediaType: string }>();
  readonly tags = new Map<string, string[]>();
  readonly faults: Fault[] = [];
  readonly requests: Array<{ method: string; path: string; headers: IncomingMessage['headers'] }> = [];
  private server!: Server;
  host = '';

  constructor(private readonly options: FakeRegistryOptions = {}) {}

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void this.handle(req, res).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    };
    this.server = this.options.tls ? createHttpsServer(this.options.tls, handler) : createServer(handler);
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  addBlob(data: Buffer | string): { digest: string; size: number } {
    const buf = Buffer.from(data);
    const digest = sha256(buf);
    this.blobs.set(digest, buf);
    return { digest, size: buf.length };
  }

  addManifest(repo: string, tag: string | undefined, doc: object, mediaType: string): { digest: string; size: number; mediaType: string } {
    const body = Buffer.from(JSON.stringify(doc));
    const digest = sha256(body);
    this.manifests.set(`${repo}@${digest}`, { body, mediaType });
    if (tag !== undefined) {
      this.manifests.set(`${repo}:${tag}`, { body, mediaType });
      this.tags.set(repo, [...(this.tags.get(repo) ?? []), tag]);
    }
    return { digest, size: body.length, mediaType };
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code, message }] }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers });
    const fault = this.faults.shift();
    if (fault !== undefined && (await fault(req, res, url))) return;
    const { bearer } = this.options;
    if (bearer !== undefined) {
      const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(url.pathname);
      const scope = m ? `repository:${m[1]}:pull` : '';
      if (req.headers.authorization !== `Bearer ${bearer.tokenFor(scope)}`) {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="${bearer.realm}",service="${bearer.service}"${scope ? `,scope="${scope}"` : ''}`,
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
    }
    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const [, repo, target] = m;
      const found = this.manifests.get(target!.includes(':') ? `${repo}@${target}` : `${repo}:${target}`);
      if (!found) return this.error(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${target}`);
      res.writeHead(200, { 'content-type': found.mediaType, 'docker-content-digest': sha256(found.body), 'content-length': found.body.length });
      res.end(req.method === 'HEAD' ? undefined : found.body);
      return;
    }
    m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const blob = this.blobs.get(m[2]!);
      if (!blob) return this.error(res, 404, 'BLOB_UNKNOWN', `blob unknown: ${m[2]}`);
      if (this.options.redirectBlobsTo) {
        res.writeHead(307, { location: `${this.options.redirectBlobsTo}/${m[2]}` });
        res.end();
        return;
      }
      return serveBlob(req, res, blob);
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (m) {
      const all = this.tags.get(m[1]!) ?? [];
      const n = Number(url.searchParams.get('n') ?? all.length);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < all.length) headers.link = `</v2/${m[1]}/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: m[1], tags: page }));
      return;
    }
    this.error(res, 404, 'NAME_UNKNOWN', url.pathname);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** Answers a blob GET honouring a `Range: bytes=N-` header. */
export function serveBlob(req: IncomingMessage, res: ServerResponse, blob: Buffer): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    res.writeHead(206, { 'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}`, 'content-length': blob.length - start });
    res.end(blob.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': blob.length, 'content-type': 'application/octet-stream' });
  res.end(req.method === 'HEAD' ? undefined : blob);
}

/** A plain HTTP server on 127.0.0.1 for one-off roles (token server, blob host). */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; host: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}`,
    host,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
