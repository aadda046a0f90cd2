import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '@shimkit/image-store';
import type { Registry } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import type { TestImage, TestImages } from '../src/index.js';
import { PAUSE_SCRIPT, pushTestImages } from '../src/index.js';
import { execFileAsync, expectNothingLeftBehind, registryGet, sha256 } from './helpers.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Manifest {
  mediaType?: string;
  config: { digest: string };
  layers: { digest: string; mediaType: string }[];
}
interface Config {
  os: string;
  architecture: string;
  config: { Cmd?: string[]; Env?: string[]; WorkingDir?: string };
  rootfs: { diff_ids: string[] };
}

expectNothingLeftBehind();

async function checkPushed(registry: Registry, image: TestImage, name: string): Promise<{ manifest: Manifest; config: Config }> {
  expect(image.repository).toBe(`${registry.host}/${name}`);
  expect(image.reference).toBe(`${registry.host}/${name}:latest`);
  expect(image.canonical).toBe(`${image.repository}@${image.digest}`);
  const got = await registryGet(registry, `/v2/${name}/manifests/latest`, OCI_MANIFEST);
  expect(sha256(got.body)).toBe(image.digest);
  expect(got.headers.get('docker-content-digest')).toBe(image.digest);
  const manifest = JSON.parse(got.body.toString('utf8')) as Manifest;
  expect(manifest.mediaType).toBe(OCI_MANIFEST);
  expect(manifest.config.digest).toBe(image.configDigest);
  expect(manifest.layers.map((l) => l.digest)).toEqual(image.layers);
  const byDigest = await registryGet(registry, `/v2/${name}/manifests/${image.digest}`, OCI_MANIFEST);
  expect(byDigest.body.equals(got.body)).toBe(true);
  const configBlob = (await registryGet(registry, `/v2/${name}/blobs/${image.configDigest}`)).body;
  expect(sha256(configBlob)).toBe(image.configDigest);
  for (const layer of image.layers) {
    // The registry verifies pushed blobs; a HEAD-like GET is enough to see it holds each one.
    expect(sha256((await registryGet(registry, `/v2/${name}/blobs/${layer}`)).body)).toBe(layer);
  }
  return { manifest, config: JSON.parse(configBlob.toString('utf8')) as Config };
}

async function skopeoInspect(registry: Registry, image: TestImage): Promise<{ Digest: string; Layers: string[]; Os: string; Architecture: string }> {
  const creds = registry.auth ? ['--creds', `${registry.auth.username}:${registry.auth.password}`] : [];
  const { stdout } = await execFileAsync('skopeo', ['inspect', '--tls-verify=false', ...creds, `docker://${image.reference}`], { timeout: 60_000 });
  return JSON.parse(stdout) as { Digest: string; Layers: string[]; Os: string; Architecture: string };
}

describe.each([
  ['anonymous', undefined],
  ['basic auth', { username: 'tester', password: `pw-${process.pid}` }],
] as const)('pushTestImages to a registry (%s)', (_label, auth) => {
  let registry: Registry;
  let images: TestImages;
  beforeAll(async () => {
    registry = await startRegistry(auth ? { auth } : {});
    images = await pushTestImages(registry);
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('pushes busybox (cmd sh) as the registry serves it back', async () => {
    const { manifest, config } = await checkPushed(registry, images.busybox, 'busybox');
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(config.os).toBe('linux');
    expect(config.architecture).toBe(process.arch === 'x64' ? 'amd64' : expect.any(String));
    expect(config.config.Cmd).toEqual(['sh']);
    expect(config.config.WorkingDir).toBe('/');
    expect(config.config.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(config.rootfs.diff_ids).toHaveLength(1);
  });

  it('pushes pause: the same layer, cmd running PAUSE_SCRIPT', async () => {
    const { config } = await checkPushed(registry, images.pause, 'pause');
    expect(images.pause.layers).toEqual(images.busybox.layers);
    expect(images.pause.digest).not.toBe(images.busybox.digest);
    expect(config.config.Cmd).toEqual(['/bin/sh', '-c', PAUSE_SCRIPT]);
    expect(config.config.WorkingDir).toBe('/');
    expect(config.config.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  });

  it('skopeo (an independent tool) sees the same digests and layers', async () => {
    for (const image of [images.busybox, images.pause]) {
      const seen = await skopeoInspect(registry, image);
      expect(seen.Digest).toBe(image.digest);
      expect(seen.Layers).toEqual(image.layers);
      expect(seen.Os).toBe('linux');
    }
  });
});

describe('the pushed images run', () => {
  let registry: Registry;
  let images: TestImages;
  let dir: string;
  let store: ImageStore;
  beforeAll(async () => {
    registry = await startRegistry();
    images = await pushTestImages(registry);
    dir = await mkdtemp(join(tmpdir(), 'shimkit-test-images-run-'));
    store = await ImageStore.open({ root: dir, registry: { hosts: { [registry.host]: { plainHttp: true } } } });
  });
  afterAll(async () => {
    await store?.removeRootfs('busybox-run').catch(() => undefined);
    await store?.removeRootfs('pause-run').catch(() => undefined);
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await registry?.close();
  });

  it('busybox: pulled into a fresh store, its rootfs runs /bin/busybox and the sh applet', async () => {
    const pulled = await store.pull(images.busybox.reference);
    expect(pulled.id).toBe(images.busybox.configDigest);
    expect(pulled.repoDigests).toContain(images.busybox.canonical);
    const rootfs = await store.createRootfs('busybox-run', pulled.id);
    try {
      const echo = await execFileAsync('chroot', [rootfs.path, '/bin/busybox', 'echo', 'ok'], { timeout: 20_000 });
      expect(echo.stdout).toBe('ok\n');
      const sh = await execFileAsync('chroot', [rootfs.path, 'sh', '-c', 'cd / && pwd && ls /bin/ls /etc/passwd'], { timeout: 20_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      expect(sh.stdout).toBe('/\n/bin/ls\n/etc/passwd\n');
    } finally {
      expect(await store.removeRootfs('busybox-run')).toBe(true);
    }
  });

  it('pause: runs its command until SIGTERM, then exits 0', async () => {
    const pulled = await store.pull(images.pause.reference);
    const rootfs = await store.createRootfs('pause-run', pulled.id);
    const cmd = pulled.config.config?.Cmd ?? [];
    expect(cmd).toEqual(['/bin/sh', '-c', PAUSE_SCRIPT]);
    const child = spawn('chroot', [rootfs.path, ...cmd], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let sleeper: number | undefined;
    try {
      // The trap is set once the background sleep exists (chroot execs the shell: same pid).
      for (let i = 0; i < 200 && sleeper === undefined; i++) {
        const children = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '');
        sleeper = children.trim() === '' ? undefined : Number(children.trim().split(' ')[0]);
        if (sleeper === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(sleeper).toBeDefined();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      // The shell leaves its background sleep behind (in a container the pid namespace ends it).
      if (sleeper !== undefined) {
        try {
          process.kill(sleeper, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      expect(await store.removeRootfs('pause-run')).toBe(true);
    }
  });
});
