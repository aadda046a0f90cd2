import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry } from './fake-registry.js';

let dir: string;
let registry: FakeRegistry;
let digest: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `shimkit-tls-${process.pid}-`));
  // A self-signed certificate for 127.0.0.1, made for this run.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=shimkit-test',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  registry = await new FakeRegistry({ tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') } }).start();
  digest = addTestImage(registry, 'app', 'v1', [{ entries: [{ path: 'a', type: 'file', data: 'a' }] }]).manifest.digest;
});
afterAll(async () => {
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('registry TLS settings per host', () => {
  it('refuses an untrusted certificate by default', async () => {
    // 127.0.0.1 defaults to plain HTTP; ask for HTTPS explicitly.
    const client = new RegistryClient({ retry: { attempts: 1 }, hosts: { [registry.host]: { plainHttp: false } } });
    await expect(client.resolve(`${registry.host}/app:v1`)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_NETWORK'));
  });

  it('trusts a CA file given for the host', async () => {
    await using client = new RegistryClient({ retry: { attempts: 1 }, hosts: { [registry.host]: { plainHttp: false, tls: { caFile: join(dir, 'cert.pem') } } } });
    expect((await client.resolve(`${registry.host}/app:v1`)).manifest.descriptor.digest).toBe(digest);
    await expect(new RegistryClient({ hosts: { [registry.host]: { plainHttp: false, tls: { caFile: join(dir, 'missing.pem') } } } }).ping(registry.host))
      .rejects.toSatisfy((e) => isImageStoreError(e, 'INVALID_ARGUMENT'));
  });

  it('skips verification when told to', async () => {
    await using client = new RegistryClient({ retry: { attempts: 1 }, hosts: { [registry.host]: { plainHttp: false, tls: { insecureSkipVerify: true } } } });
    const parts: Buffer[] = [];
    const resolved = await client.resolve(`${registry.host}/app:v1`);
    for await (const c of client.blob(`${registry.host}/app`, resolved.manifest.document.manifest.layers[0]!)) parts.push(c);
    expect(Buffer.concat(parts).length).toBe(resolved.manifest.document.manifest.layers[0]!.size);
  });
});
