import type { Digest } from '@shimkit/oci-spec';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/registry-client.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry, sha256, startServer } from './fake-registry.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const INDEX = 'application/vnd.oci.image.index.v1+json';

describe('referrers', () => {
  it('uses the referrers API when the registry has it, filtering by artifact type', async () => {
    const registry = await new FakeRegistry().start();
    closers.push(() => registry.close());
    const img = addTestImage(registry, 'app', 'v1', [{ entries: [{ path: 'a', type: 'file', data: 'a' }] }]);
    const sig = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('sig'), size: 3, artifactType: 'application/vnd.example.sig' };
    const sbom = { ...sig, digest: sha256('sbom'), artifactType: 'application/spdx+json' };
    registry.faults.push((_req, res, url) => {
      expect(url.pathname).toBe(`/v2/app/referrers/${img.manifest.digest}`);
      res.writeHead(200, { 'content-type': INDEX }).end(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [sig, sbom] }));
      return true;
    });
    const client = new RegistryClient({ retry: { attempts: 1 } });
    const found = await client.listReferrers(`${registry.host}/app`, img.manifest.digest as Digest, { artifactType: 'application/spdx+json' });
    expect(found.map((d) => d.digest)).toEqual([sbom.digest]);
  });

  it('falls back to the tag schema, and finds none when there is no such tag', async () => {
    const registry = await new FakeRegistry().start();
    closers.push(() => registry.close());
    const img = addTestImage(registry, 'app', 'v1', [{ entries: [{ path: 'a', type: 'file', data: 'a' }] }]);
    const client = new RegistryClient({ retry: { attempts: 1 } });
    expect(await client.listReferrers(`${registry.host}/app`, img.manifest.digest as Digest)).toEqual([]);
    const sig = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('sig'), size: 3, artifactType: 'application/vnd.example.sig' };
    registry.addManifest('app', img.manifest.digest.replace(':', '-'), { schemaVersion: 2, mediaType: INDEX, manifests: [sig] }, INDEX);
    expect((await client.listReferrers(`${registry.host}/app`, img.manifest.digest as Digest)).map((d) => d.artifactType)).toEqual(['application/vnd.example.sig']);
  });
});

describe('bearer tokens from an identity token', () => {
  it('exchanges the refresh token with a POST and caches the access token', async () => {
    const posts: string[] = [];
    const tokens = await startServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        posts.push(`${req.method} ${form.get('grant_type')} ${form.get('refresh_token')} ${form.get('scope')}`);
        if (req.method !== 'POST' || form.get('refresh_token') !== 'r3fresh') return void res.writeHead(401).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `tok:${form.get('scope')}`, expires_in: 120 }));
      });
    });
    closers.push(() => tokens.close());
    const registry = await new FakeRegistry({ bearer: { realm: `${tokens.url}/token`, service: 'fake', tokenFor: (scope) => `tok:${scope}` } }).start();
    closers.push(() => registry.close());
    const img = addTestImage(registry, 'app', 'v1', [{ entries: [{ path: 'a', type: 'file', data: 'a' }] }]);
    const client = new RegistryClient({ retry: { attempts: 1 }, credentials: () => ({ identityToken: 'r3fresh' }) });
    expect((await client.resolve(`${registry.host}/app:v1`)).manifest.descriptor.digest).toBe(img.manifest.digest);
    await client.getBlob(`${registry.host}/app`, img.config as { digest: Digest; size: number });
    expect(posts).toEqual(['POST refresh_token r3fresh repository:app:pull']);
  });
});
