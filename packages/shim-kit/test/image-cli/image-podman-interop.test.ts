import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@shimkit/image-store';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimkit } from './cli-harness.js';

// Debian's podman 4.3, in a storage of its own (vfs, under a temp dir), loading what shimkit
// writes and saving what shimkit reads.
let registry: Registry;
let images: TestImages;
let dir: string;
let client: RegistryClient;

async function podman(args: string[]) {
  return execa('podman', ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs', ...args], {
    env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'), CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf') },
    reject: false,
  });
}

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  dir = await mkdtemp(join(tmpdir(), `shimkit-podman-${process.pid}-`));
  await writeFile(join(dir, 'containers.conf'), '[containers]\ndefault_ulimits = []\n');
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  await writeFile(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\nrunroot = "${join(dir, 'runroot')}"\ngraphroot = "${join(dir, 'root')}"\n`);
});
afterAll(async () => {
  await client?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('shimkit image and podman 4.3', () => {
  it('podman loads the docker-archive shimkit writes, under its name and with its image id', async () => {
    const archive = join(dir, 'ours.docker.tar');
    expect((await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `docker-archive:${archive}:example.com/ours/busybox:v1`])).code).toBe(0);
    const loaded = await podman(['load', '-q', '-i', archive]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain('Loaded image: example.com/ours/busybox:v1');
    const id = await podman(['image', 'inspect', '--format', '{{.Id}}', 'example.com/ours/busybox:v1']);
    expect(id.stdout.trim()).toBe(images.busybox.configDigest.slice('sha256:'.length));
  });

  it('shimkit copies what podman save writes (docker-archive and oci-archive) into a registry', async () => {
    const loaded = await podman(['image', 'exists', 'example.com/ours/busybox:v1']);
    if (loaded.exitCode !== 0) {
      const archive = join(dir, 'seed.docker.tar');
      expect((await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `docker-archive:${archive}:example.com/ours/busybox:v1`])).code).toBe(0);
      expect((await podman(['load', '-q', '-i', archive])).exitCode).toBe(0);
    }
    for (const format of ['docker-archive', 'oci-archive'] as const) {
      const saved = join(dir, `theirs.${format}.tar`);
      const save = await podman(['save', '--format', format, '-o', saved, 'example.com/ours/busybox:v1']);
      expect(save.exitCode, save.stderr).toBe(0);
      const dst = `${registry.host}/from-podman/${format}:v1`;
      const copied = await shimkit(['image', 'copy', '-q', `${format}:${saved}`, `docker://${dst}`]);
      expect(copied, format).toMatchObject({ code: 0, err: '' });
      const manifest = await client.getManifest(dst);
      const doc = manifest.document.kind === 'manifest' ? manifest.document.manifest : undefined;
      // What podman wrote, as skopeo reads it: an OCI archive's manifest is kept byte for byte,
      // a docker archive's config (its manifest is made anew, its layers being plain tars).
      const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
      if (format === 'oci-archive') {
        const raw = await execa('skopeo', ['inspect', '--raw', `oci-archive:${saved}`], { encoding: 'buffer' });
        expect(manifest.descriptor.digest).toBe(sha256(raw.stdout));
      } else {
        const config = await execa('skopeo', ['inspect', '--config', '--raw', `docker-archive:${saved}`], { encoding: 'buffer' });
        expect(doc?.config.digest).toBe(sha256(config.stdout));
        expect(doc?.config.digest).toBe(images.busybox.configDigest);
      }
      // The copy in the registry is whole: shimkit reads it back to a layout with every blob verified.
      expect((await shimkit(['image', 'copy', '-q', `docker://${dst}`, `oci:${join(dir, `back-${format}`)}:v1`])).code).toBe(0);
      expect(JSON.parse(await readFile(join(dir, `back-${format}`, 'index.json'), 'utf8'))).toMatchObject({ manifests: [{ digest: manifest.descriptor.digest }] });
    }
  });
});
