import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@shimkit/image-store';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushIndex, shimkit } from './cli-harness.js';
import { startTlsRegistry } from './tls-registry.js';

let registry: Registry;
let secured: Registry;
let images: TestImages;
let multi: { reference: string; digest: string };
let dir: string;
const auth = { username: 'reader', password: `pw-${process.pid}` };

beforeAll(async () => {
  [registry, secured] = await Promise.all([startRegistry(), startRegistry({ auth })]);
  images = await pushTestImages({ host: registry.host });
  const client = new RegistryClient();
  multi = await pushIndex(client, registry.host, images);
  await client.close();
  await pushTestImages({ host: secured.host, auth });
  dir = await mkdtemp(join(tmpdir(), `shimkit-inspect-${process.pid}-`));
});
afterAll(async () => {
  await Promise.all([registry?.close(), secured?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('shimkit image inspect', () => {
  it('describes an image as text and JSON, with the digest the registry serves', async () => {
    const text = await shimkit(['image', 'inspect', `docker://${images.busybox.reference}`]);
    expect(text).toMatchObject({ code: 0, err: '' });
    expect(text.out).toContain(`Digest:      ${images.busybox.digest}\n`);
    expect(text.out).toMatch(/Platform: {4}linux\/amd64\n/);
    expect(text.out).toContain('Cmd:         ["sh"]\n');
    expect(text.out).toContain(`  ${images.busybox.layers[0]}`);

    const json = await shimkit(['image', 'inspect', '--format', 'json', `docker://${images.busybox.reference}`]);
    expect(json.code).toBe(0);
    const view = JSON.parse(json.out) as Record<string, unknown>;
    expect(view).toMatchObject({ name: `docker://${images.busybox.reference}`, digest: images.busybox.digest, manifestDigest: images.busybox.digest, architecture: 'amd64', os: 'linux', cmd: ['sh'] });
    expect(view.env).toEqual([expect.stringMatching(/^PATH=/)]);
    expect((view.layers as Array<{ digest: string; size: number }>).map((l) => l.digest)).toEqual(images.busybox.layers);
    expect(view.platforms).toBeUndefined();
    const head = await fetch(`${registry.url}/v2/busybox/manifests/latest`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(head.headers.get('docker-content-digest')).toBe(view.digest);
  });

  it('prints the manifest bytes as served with --raw and the config blob with --config', async () => {
    const served = Buffer.from(await (await fetch(`${registry.url}/v2/busybox/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).arrayBuffer());
    const raw = await shimkit(['image', 'inspect', '--raw', `docker://${images.busybox.reference}`]);
    expect(raw.code).toBe(0);
    expect(Buffer.from(raw.out)).toEqual(served);
    const config = await shimkit(['image', 'inspect', '--config', `docker://${images.busybox.reference}`]);
    expect(config.code).toBe(0);
    const servedConfig = await (await fetch(`${registry.url}/v2/busybox/blobs/${images.busybox.configDigest}`)).text();
    expect(config.out).toBe(servedConfig);
  });

  it("lists an index's platforms and describes the host's, or the overridden one", async () => {
    const host = JSON.parse((await shimkit(['image', 'inspect', '--format=json', `docker://${multi.reference}`])).out) as Record<string, unknown>;
    expect(host).toMatchObject({ digest: multi.digest, mediaType: 'application/vnd.oci.image.index.v1+json', platforms: ['linux/amd64', 'linux/arm64/v8'], manifestDigest: images.busybox.digest, cmd: ['sh'] });
    const arm = await shimkit(['image', 'inspect', '--override-arch', 'arm64', `docker://${multi.reference}`]);
    expect(arm.code).toBe(0);
    expect(arm.out).toContain('Platforms:   linux/amd64, linux/arm64/v8\n');
    expect(arm.out).toContain(`Manifest:    ${images.pause.digest}\n`);
    const raw = await shimkit(['image', 'inspect', '--raw', `docker://${multi.reference}`]);
    expect(JSON.parse(raw.out)).toMatchObject({ mediaType: 'application/vnd.oci.image.index.v1+json' });
    const none = await shimkit(['image', 'inspect', '--override-arch', 's390x', `docker://${multi.reference}`]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/docker:\/\/127\.0\.0\.1:\d+\/multi:latest has no image for linux\/s390x \(it has linux\/amd64, linux\/arm64\/v8\)/);
  });

  it('authenticates with --creds, --authfile or $DOCKER_CONFIG, and names image and cause when it cannot', async () => {
    const ref = `docker://${secured.host}/busybox:latest`;
    const denied = await shimkit(['image', 'inspect', ref]);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(new RegExp(`^shimkit: inspect of ${ref.replace(/[.]/g, '\\.')}: .*requires a username and password.*\\[REGISTRY_UNAUTHORIZED\\]\\n$`));
    const wrong = await shimkit(['image', 'inspect', '--creds', `${auth.username}:nope`, ref]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('REGISTRY_UNAUTHORIZED');
    expect((await shimkit(['image', 'inspect', '--creds', `${auth.username}:${auth.password}`, ref])).code).toBe(0);
    const authfile = join(dir, 'auth.json');
    await writeFile(authfile, JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } }));
    const viaFile = await shimkit(['image', 'inspect', '--authfile', authfile, '--format', 'json', ref]);
    expect(viaFile.code).toBe(0);
    expect(JSON.parse(viaFile.out)).toMatchObject({ cmd: ['sh'] });
    // Without --authfile: $DOCKER_CONFIG/config.json, as docker and skopeo read it.
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir;
    try {
      await writeFile(join(dir, 'config.json'), await readFile(authfile));
      expect((await shimkit(['image', 'inspect', ref])).code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });

  it('talks HTTPS without verifying the certificate with --tls-verify=false', async () => {
    const tls = await startTlsRegistry();
    try {
      const ref = `docker://${tls.host}/busybox:v1`;
      const copied = await shimkit(['image', 'copy', '-q', '--dest-tls-verify=false', `docker://${images.busybox.reference}`, ref]);
      expect(copied).toMatchObject({ code: 0, err: '' });
      const inspected = await shimkit(['image', 'inspect', '--format', 'json', '--tls-verify=false', ref]);
      expect(inspected.code).toBe(0);
      expect(JSON.parse(inspected.out)).toMatchObject({ digest: images.busybox.digest });
      // Loopback registries are plain HTTP by default: this one only speaks TLS.
      expect((await shimkit(['image', 'inspect', ref])).code).toBe(1);
      // The plain-HTTP registry is still reached with the flag: HTTPS is tried, then HTTP.
      expect((await shimkit(['image', 'inspect', '--tls-verify=false', `docker://${images.busybox.reference}`])).code).toBe(0);
    } finally {
      await tls.close();
    }
  });

  it('fails with exit 1 on a missing image or an unreachable registry, and 2 on bad usage', async () => {
    const missing = await shimkit(['image', 'inspect', `docker://${registry.host}/nothing:here`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^shimkit: inspect of docker:\/\/127\.0\.0\.1:\d+\/nothing:here: manifest .*nothing:here: HTTP 404.*\[REGISTRY_NOT_FOUND\]\n$/);
    const closed = await startRegistry();
    const gone = closed.host;
    await closed.close();
    const unreachable = await shimkit(['image', 'inspect', '--tls-verify=false', `docker://${gone}/busybox:latest`]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(new RegExp(`^shimkit: inspect of docker://${gone.replace(/[.]/g, '\\.')}/busybox:latest: .*\\[REGISTRY_NETWORK\\]\\n$`));
    const notLayout = await shimkit(['image', 'inspect', `oci:${dir}/none`]);
    expect(notLayout.code).toBe(1);
    expect(notLayout.err).toMatch(/^shimkit: inspect of oci:.*\/none: .*none is not an OCI image layout.*\[INVALID_ARGUMENT\]\n$/);
    expect((await shimkit(['image', 'inspect', 'store:busybox'])).code).toBe(2);
    const unknown = await shimkit(['image', 'inspect', 'ftp://x']);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining('unknown transport in "ftp://x"') });
    expect((await shimkit(['image', 'inspect', '--format', 'yaml', `docker://${images.busybox.reference}`])).code).toBe(2);
    expect((await shimkit(['image', 'inspect'])).code).toBe(2);
    expect((await shimkit(['image', 'frobnicate'])).code).toBe(2);
    expect((await shimkit(['image'])).code).toBe(2);
    const help = await shimkit(['image', 'inspect', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: shimkit image inspect \[options\] <image>/);
    expect(help.out).toContain('--tls-verify [bool]');
  });
});
