import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/registry-client.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry } from './fake-registry.js';

const started: FakeRegistry[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) await r.close();
});

async function fake(): Promise<FakeRegistry> {
  const r = await new FakeRegistry().start();
  started.push(r);
  return r;
}

describe('registry mirrors', () => {
  it('reads from the first mirror that has the content, then from the registry itself', async () => {
    const [upstream, emptyMirror, fullMirror] = [await fake(), await fake(), await fake()];
    const img = addTestImage(fullMirror, 'library/app', 'v1', [{ entries: [{ path: 'a', type: 'file', data: 'a' }] }]);
    addTestImage(upstream, 'library/app', 'v2', [{ entries: [{ path: 'b', type: 'file', data: 'b' }] }]);
    const client = new RegistryClient({
      retry: { attempts: 1 },
      hosts: { 'registry.example': { mirrors: [emptyMirror.host, fullMirror.host, upstream.host] } },
    });
    const resolved = await client.resolve('registry.example/library/app:v1');
    expect(resolved.manifest.descriptor.digest).toBe(img.manifest.digest);
    expect(emptyMirror.requests.map((r) => r.path)).toEqual(['/v2/library/app/manifests/v1?ns=registry.example']);
    // v2 only exists upstream (listed here as the last mirror, since registry.example itself is not reachable)
    const v2 = await client.resolve('registry.example/library/app:v2');
    expect(v2.manifest.document.manifest.layers).toHaveLength(1);
    expect(upstream.requests.some((r) => r.path.includes('/manifests/v2?ns=registry.example'))).toBe(true);
  });

  it('skips a mirror that is down', async () => {
    const [down, mirror] = [await fake(), await fake()];
    const img = addTestImage(mirror, 'app', 'v1', [{ entries: [{ path: 'a', type: 'file', data: 'a' }] }]);
    const downHost = down.host;
    await down.close();
    started.shift();
    const client = new RegistryClient({ retry: { attempts: 1 }, hosts: { 'registry.example': { mirrors: [downHost, mirror.host] } } });
    expect((await client.resolve('registry.example/app:v1')).manifest.descriptor.digest).toBe(img.manifest.digest);
  });
});
