import { randomBytes } from 'node:crypto';
import type { Digest } from '@shimkit/oci-spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { FakeRegistry, serveBlob, sha256, startServer } from './fake-registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const layerData = randomBytes(300_000);
let registry: FakeRegistry;
let layer: { digest: Digest; size: number };
const closers: Array<() => Promise<void>> = [];

const fast = { retry: { attempts: 3, baseDelayMs: 10 }, requestTimeoutMs: 5000, progressTimeoutMs: 5000 };

async function setup(options: ConstructorParameters<typeof FakeRegistry>[0] = {}): Promise<void> {
  registry = await new FakeRegistry(options).start();
  closers.push(() => registry.close());
  layer = registry.addBlob(layerData) as typeof layer;
  const config = registry.addBlob('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  registry.addManifest('app', 'v1', {
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  }, OCI_MANIFEST);
}

async function readAllBlob(client: RegistryClient, options: { offset?: number } = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of client.blob(`${registry.host}/app`, layer, options)) parts.push(c);
  return Buffer.concat(parts);
}

beforeEach(async () => setup());
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('RegistryClient against injected faults', () => {
  it('retries 429 (honouring Retry-After) and 500, then succeeds', async () => {
    registry.faults.push(
      (_req, res) => (res.writeHead(429, { 'retry-after': '0' }).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}'), true),
      (_req, res) => (res.writeHead(500).end(), true),
    );
    const client = new RegistryClient(fast);
    expect((await readAllBlob(client)).equals(layerData)).toBe(true);
    expect(registry.requests.length).toBe(3);
  });

  it('gives up after the bounded retries with a typed error', async () => {
    for (let i = 0; i < 3; i++) registry.faults.push((_req, res) => (res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"down"}]}'), true));
    const client = new RegistryClient(fast);
    const err = await readAllBlob(client).catch((e: unknown) => e);
    expect(isImageStoreError(err, 'REGISTRY_SERVER_ERROR')).toBe(true);
    expect(err).toMatchObject({ status: 503, registryCode: 'UNAVAILABLE' });
    expect(registry.requests.length).toBe(3);
  });

  it('maps 404 to REGISTRY_NOT_FOUND with the registry error code', async () => {
    const client = new RegistryClient(fast);
    const err = await client.getManifest(`${registry.host}/app:nope`).catch((e: unknown) => e);
    expect(isImageStoreError(err, 'REGISTRY_NOT_FOUND')).toBe(true);
    expect(err).toMatchObject({ status: 404, registryCode: 'MANIFEST_UNKNOWN' });
  });

  it('resumes a connection reset mid-blob with a Range request', async () => {
    registry.faults.push((_req, res) => {
      res.writeHead(200, { 'content-length': layerData.length });
      res.write(layerData.subarray(0, 100_000), () => res.destroy());
      return true;
    });
    const client = new RegistryClient(fast);
    expect((await readAllBlob(client)).equals(layerData)).toBe(true);
    expect(registry.requests[1]?.headers.range).toBe('bytes=100000-');
  });

  it('resumes a truncated body that ends cleanly', async () => {
    registry.faults.push((_req, res) => {
      res.writeHead(200);
      res.end(layerData.subarray(0, 1234));
      return true;
    });
    const client = new RegistryClient(fast);
    expect((await readAllBlob(client)).equals(layerData)).toBe(true);
    expect(registry.requests[1]?.headers.range).toBe('bytes=1234-');
  });

  it('skips ahead when a server ignores Range', async () => {
    registry.faults.push((_req, res) => {
      res.writeHead(200, { 'content-length': layerData.length });
      res.write(layerData.subarray(0, 5000), () => res.destroy());
      return true;
    }, (req, res) => {
      delete req.headers.range;
      serveBlob(req, res, layerData);
      return true;
    });
    const client = new RegistryClient(fast);
    expect((await readAllBlob(client)).equals(layerData)).toBe(true);
  });

  it('fails with DIGEST_MISMATCH when the blob content is wrong', async () => {
    registry.faults.push((_req, res) => {
      const bad = Buffer.from(layerData);
      bad[10] = bad[10]! ^ 0xff;
      res.writeHead(200, { 'content-length': bad.length }).end(bad);
      return true;
    });
    const client = new RegistryClient(fast);
    await expect(readAllBlob(client)).rejects.toSatisfy((e) => isImageStoreError(e, 'DIGEST_MISMATCH'));
  });

  it('fails with SIZE_MISMATCH when the blob is too long', async () => {
    registry.faults.push((_req, res) => (res.writeHead(200).end(Buffer.concat([layerData, Buffer.from('extra')])), true));
    const client = new RegistryClient(fast);
    await expect(readAllBlob(client)).rejects.toSatisfy((e) => isImageStoreError(e, 'SIZE_MISMATCH'));
  });

  it('refuses a manifest that does not match Docker-Content-Digest or the requested digest', async () => {
    registry.faults.push((_req, res) => {
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha256('other') });
      res.end(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x/y', digest: sha256('c'), size: 1 }, layers: [] }));
      return true;
    });
    const client = new RegistryClient(fast);
    await expect(client.getManifest(`${registry.host}/app:v1`)).rejects.toSatisfy((e) => isImageStoreError(e, 'DIGEST_MISMATCH'));
    await expect(client.getManifest(`${registry.host}/app@${sha256('something else')}`)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_NOT_FOUND'));
  });

  it('aborts a stalled body with PROGRESS_TIMEOUT', async () => {
    registry.faults.push((_req, res) => {
      res.writeHead(200, { 'content-length': layerData.length });
      res.write(layerData.subarray(0, 1000)); // then nothing
      return true;
    });
    const client = new RegistryClient({ ...fast, progressTimeoutMs: 300 });
    const started = Date.now();
    await expect(readAllBlob(client)).rejects.toSatisfy((e) => isImageStoreError(e, 'PROGRESS_TIMEOUT'));
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('follows a redirect to another port without sending the registry credentials', async () => {
    const seen: Array<string | undefined> = [];
    const blobHost = await startServer((req, res) => {
      seen.push(req.headers.authorization);
      serveBlob(req, res, layerData);
    });
    closers.push(() => blobHost.close());
    await registry.close();
    closers.length = 0;
    closers.push(() => blobHost.close());
    await setup({ redirectBlobsTo: blobHost.url });
    const client = new RegistryClient({ ...fast, hosts: { [registry.host]: { credentials: { username: 'u', password: 'p' } } } });
    // make the registry challenge once so that credentials are sent up front afterwards
    registry.faults.push((_req, res) => (res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end(), true));
    expect((await readAllBlob(client)).equals(layerData)).toBe(true);
    expect(registry.requests.at(-1)?.headers.authorization).toMatch(/^Basic /);
    expect(seen).toEqual([undefined]);
  });

  it('aborts on the caller signal', async () => {
    registry.faults.push((_req, res) => {
      res.writeHead(200, { 'content-length': layerData.length });
      res.write(layerData.subarray(0, 1000));
      return true;
    });
    const client = new RegistryClient(fast);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const parts: Buffer[] = [];
    const run = (async () => {
      for await (const c of client.blob(`${registry.host}/app`, layer, { signal: ac.signal })) parts.push(c);
    })();
    await expect(run).rejects.toSatisfy((e) => isImageStoreError(e, 'ABORTED'));
  });

  it('lists tags across pages', async () => {
    for (let i = 0; i < 7; i++) registry.addManifest('app', `t${i}`, { schemaVersion: 2, manifests: [] }, 'application/vnd.oci.image.index.v1+json');
    const client = new RegistryClient(fast);
    expect(await client.listTags(`${registry.host}/app`, { pageSize: 3 })).toEqual(['v1', 't0', 't1', 't2', 't3', 't4', 't5', 't6']);
    expect(registry.requests.filter((r) => r.path.includes('tags/list'))).toHaveLength(3);
  });

  it('fails on a network error to a closed port after retries', async () => {
    const client = new RegistryClient(fast);
    const host = registry.host;
    await registry.close();
    closers.length = 0;
    await expect(client.ping(host)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_NETWORK'));
  });
});

describe('RegistryClient with a bearer token server', () => {
  it('gets a token per scope, caches it, and accepts access_token', async () => {
    const tokenRequests: string[] = [];
    const tokens = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      tokenRequests.push(`${url.searchParams.get('scope')}|${req.headers.authorization ?? ''}`);
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:secret').toString('base64')}`) {
        res.writeHead(401).end('{"details":"bad credentials"}');
        return;
      }
      const scope = url.searchParams.get('scope') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      // the token spec allows either field
      res.end(JSON.stringify(scope.includes('app') ? { access_token: `tok:${scope}`, expires_in: 300 } : { token: `tok:${scope}` }));
    });
    closers.push(() => tokens.close());
    await registry.close();
    closers.length = 0;
    closers.push(() => tokens.close());
    await setup({ bearer: { realm: `${tokens.url}/token`, service: 'fake', tokenFor: (scope) => `tok:${scope}` } });

    const anonymous = new RegistryClient(fast);
    await expect(anonymous.getManifest(`${registry.host}/app:v1`)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_UNAUTHORIZED'));

    const client = new RegistryClient({ ...fast, credentials: (host) => (host === registry.host ? { username: 'alice', password: 'secret' } : undefined) });
    const resolved = await client.resolve(`${registry.host}/app:v1`);
    expect(resolved.manifest.document.manifest.layers[0]?.digest).toBe(layer.digest);
    expect((await readAllBlob(client)).equals(layerData)).toBe(true);
    expect(await client.listTags(`${registry.host}/app`)).toEqual(['v1']);
    const forApp = tokenRequests.filter((t) => t.startsWith('repository:app:pull|Basic'));
    expect(forApp).toHaveLength(1);
  });
});
