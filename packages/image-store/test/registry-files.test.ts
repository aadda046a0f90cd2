import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates, pushTestImages, startRegistry, type Registry, type TestCertificates, type TestImages } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { RegistryClient, type RegistryHostConfig } from '../src/registry/registry-client.js';
import { loadRegistryConfigFiles } from '../src/registry/registry-config-files.js';

// A real docker-registry on plain HTTP holding the test images, and a second one serving the
// same storage over TLS to clients with a certificate from the test's CA only.
let dir: string;
let plain: Registry;
let secure: Registry;
let certs: TestCertificates;
let images: TestImages;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `shimkit-registry-files-${process.pid}-`));
  plain = await startRegistry();
  images = await pushTestImages(plain);
  certs = await makeTestCertificates(dir);
  secure = await startRegistry({ storage: plain.storage, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, clientCaFile: certs.caFile } });
}, 120_000);
afterAll(async () => {
  await secure?.close();
  await plain?.close();
  await rm(dir, { recursive: true, force: true });
});

const busyboxAt = (host: string) => `${host}/busybox:latest`;
const resolveWith = async (hosts: Record<string, RegistryHostConfig>, ref: string) => {
  await using client = new RegistryClient({ retry: { attempts: 1 }, hosts });
  return (await client.resolve(ref)).manifest.descriptor.digest;
};

describe('registry files against real registries', () => {
  it('mutual TLS: refused without a client certificate, served with the one from a containers certs.d directory', async () => {
    await mkdir(join(dir, 'certs.d', secure.host), { recursive: true });
    await copyFile(certs.caFile, join(dir, 'certs.d', secure.host, 'ca.crt'));
    const noClientCert = resolveWith({ [secure.host]: { tls: { caFile: certs.caFile } } }, busyboxAt(secure.host));
    await expect(noClientCert).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_NETWORK'));
    await copyFile(certs.clientCertFile, join(dir, 'certs.d', secure.host, 'client.cert'));
    await copyFile(certs.clientKeyFile, join(dir, 'certs.d', secure.host, 'client.key'));
    const hosts = await loadRegistryConfigFiles({ certsDir: join(dir, 'certs.d') });
    expect(await resolveWith(hosts, busyboxAt(secure.host))).toBe(images.busybox.digest);
  });

  it('a registry name known only to a hosts.toml, served by its TLS server with the CA and client pair it names', async () => {
    const hostsDir = join(dir, 'containerd-certs.d');
    await mkdir(join(hostsDir, 'registry.test'), { recursive: true });
    await writeFile(join(hostsDir, 'registry.test', 'hosts.toml'), [
      `server = "https://${secure.host}"`,
      `ca = ${JSON.stringify(certs.caFile)}`,
      `client = [[${JSON.stringify(certs.clientCertFile)}, ${JSON.stringify(certs.clientKeyFile)}]]`,
    ].join('\n'));
    const hosts = await loadRegistryConfigFiles({ hostsDir });
    expect(await resolveWith(hosts, 'registry.test/busybox:latest')).toBe(images.busybox.digest);
    // The same file without the client pair: the registry refuses the handshake.
    await writeFile(join(hostsDir, 'registry.test', 'hosts.toml'), `server = "https://${secure.host}"\nca = ${JSON.stringify(certs.caFile)}\n`);
    await expect(resolveWith(await loadRegistryConfigFiles({ hostsDir }), 'registry.test/busybox:latest')).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_NETWORK'));
  });

  it('a registries.conf mirror serves a registry that does not exist; a blocked registry is refused before any request', async () => {
    const conf = join(dir, 'registries.conf');
    await writeFile(conf, [
      `[[registry]]\nlocation = "unreachable.invalid"\n[[registry.mirror]]\nlocation = "${plain.host}"\n`,
      `[[registry]]\nlocation = "${plain.host}"\nblocked = true\n`,
      // insecure, as podman users mark a local plain-HTTP registry: still plain HTTP on loopback
      `[[registry]]\nprefix = "insecure.test"\nlocation = "${plain.host}"\ninsecure = true\n`,
    ].join('\n'));
    const hosts = await loadRegistryConfigFiles({ registriesConf: conf });
    expect(await resolveWith(hosts, 'unreachable.invalid/busybox:latest')).toBe(images.busybox.digest);
    expect(await resolveWith(hosts, 'insecure.test/busybox:latest')).toBe(images.busybox.digest);
    await expect(resolveWith(hosts, busyboxAt(plain.host))).rejects.toThrow(`registry ${plain.host} is blocked by the registry configuration`);
  });
});

describe('ImageStore.replaceRegistry', () => {
  it('a pull already started finishes with the configuration it started with; later pulls use the new one', async () => {
    const root = join(dir, 'store');
    await using store = await ImageStore.open({ root, snapshotter: 'copy', registry: { retry: { attempts: 1 }, hosts: { 'old.test': { endpoint: plain.host } } } });
    const started = store.pull('old.test/busybox:latest');
    // 127.0.0.1:1 has no listener: old.test now fails without leaving this machine
    store.replaceRegistry({ retry: { attempts: 1 }, hosts: { 'new.test': { endpoint: plain.host }, 'old.test': { endpoint: '127.0.0.1:1' } } });
    expect((await started).id).toBe(images.busybox.configDigest);
    expect((await store.pull('new.test/pause:latest')).id).toBe(images.pause.configDigest);
    await expect(store.pull('old.test/pause:latest')).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_NETWORK'));
  });
});
