import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RegistryClient } from '@shimkit/image-store';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimkit } from './cli-harness.js';

// Debian's skopeo 1.9, the tool `shimkit image` stands in for.
let registry: Registry;
let images: TestImages;
let dir: string;
let client: RegistryClient;

async function skopeo(...args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)('skopeo', ['--insecure-policy', ...args], { timeout: 60_000 })).stdout;
  } catch (e) {
    throw new Error(`skopeo ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`, { cause: e });
  }
}

async function digestOf(ref: string): Promise<string> {
  return (await client.getManifest(ref)).descriptor.digest;
}

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  dir = await mkdtemp(join(tmpdir(), `shimkit-skopeo-${process.pid}-`));
});
afterAll(async () => {
  await client?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('shimkit image and skopeo 1.9', () => {
  it('agree on the digest of a registry image', async () => {
    const ours = JSON.parse((await shimkit(['image', 'inspect', '--format', 'json', `docker://${images.busybox.reference}`])).out) as { digest: string; layers: Array<{ digest: string }> };
    const theirs = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${images.busybox.reference}`)) as { Digest: string; Layers: string[] };
    expect(ours.digest).toBe(theirs.Digest);
    expect(ours.layers.map((l) => l.digest)).toEqual(theirs.Layers);
  });

  it('skopeo reads our oci: and oci-archive: output with digests kept', async () => {
    for (const [transport, path] of [['oci', join(dir, 'ours-layout')], ['oci-archive', join(dir, 'ours.tar')]] as const) {
      expect((await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `${transport}:${path}:v1`])).code).toBe(0);
      const dst = `${registry.host}/skopeo-from-${transport}/busybox:v1`;
      await skopeo('copy', '--quiet', '--dest-tls-verify=false', `${transport}:${path}:v1`, `docker://${dst}`);
      expect(await digestOf(dst)).toBe(images.busybox.digest);
    }
  });

  it('we read skopeo oci:, oci-archive: and docker-archive: output', async () => {
    const src = `docker://${images.busybox.reference}`;
    await skopeo('copy', '--quiet', '--src-tls-verify=false', src, `oci:${join(dir, 'theirs-layout')}:v1`);
    await skopeo('copy', '--quiet', '--src-tls-verify=false', src, `oci-archive:${join(dir, 'theirs.tar')}:v1`);
    await skopeo('copy', '--quiet', '--src-tls-verify=false', src, `docker-archive:${join(dir, 'theirs.docker.tar')}:example.com/theirs/busybox:v1`);
    for (const [location, repo] of [[`oci:${join(dir, 'theirs-layout')}:v1`, 'from-skopeo-oci'], [`oci-archive:${join(dir, 'theirs.tar')}:v1`, 'from-skopeo-archive']] as const) {
      expect((await shimkit(['image', 'copy', '-q', location, `docker://${registry.host}/${repo}/busybox:v1`])).code).toBe(0);
      expect(await digestOf(`${registry.host}/${repo}/busybox:v1`)).toBe(images.busybox.digest);
    }
    const fromDocker = await shimkit(['image', 'copy', '-q', `docker-archive:${join(dir, 'theirs.docker.tar')}:example.com/theirs/busybox:v1`, `docker://${registry.host}/from-skopeo-docker/busybox:v1`]);
    expect(fromDocker).toMatchObject({ code: 0, err: '' });
    const resolved = await client.resolve(`${registry.host}/from-skopeo-docker/busybox:v1`);
    expect(resolved.manifest.document.manifest.config.digest).toBe(images.busybox.configDigest);
  });

  it('skopeo reads our docker-archive: output', async () => {
    const archive = join(dir, 'ours.docker.tar');
    expect((await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `docker-archive:${archive}:example.com/ours/busybox:v1`])).code).toBe(0);
    const inspected = JSON.parse(await skopeo('inspect', `docker-archive:${archive}`)) as { RepoTags: string[]; Layers: string[] };
    expect(inspected.Layers).toHaveLength(1);
    const config = JSON.parse(await skopeo('inspect', '--config', `docker-archive:${archive}`)) as { config: { Cmd: string[] } };
    expect(config.config.Cmd).toEqual(['sh']);
    const dst = `${registry.host}/skopeo-from-docker-archive/busybox:v1`;
    await skopeo('copy', '--quiet', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${dst}`);
    const resolved = await client.resolve(dst);
    expect(resolved.manifest.document.manifest.config.digest).toBe(images.busybox.configDigest);
  });
});
