import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { ImageStore, RegistryClient } from '@shimkit/image-store';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { pushIndex, shimkit, withShimkitServe } from './cli-harness.js';

let registry: Registry;
let secured: Registry;
let images: TestImages;
let multi: { reference: string; digest: string };
let dir: string;
let client: RegistryClient;
const auth = { username: 'writer', password: `pw-${process.pid}` };

beforeAll(async () => {
  [registry, secured] = await Promise.all([startRegistry(), startRegistry({ auth })]);
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  multi = await pushIndex(client, registry.host, images);
  dir = await mkdtemp(join(tmpdir(), `shimkit-copy-${process.pid}-`));
});
afterAll(async () => {
  await client?.close();
  await Promise.all([registry?.close(), secured?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Files in `d` (recursive), to check that nothing but the result was left. */
async function files(d: string): Promise<string[]> {
  return (await readdir(d, { recursive: true })).sort();
}

describe('shimkit image copy', () => {
  it('copies between repositories of a registry by mounting blobs, and skips what the destination has', async () => {
    const dst = `docker://${registry.host}/copies/busybox:v1`;
    const first = await shimkit(['image', 'copy', `docker://${images.busybox.reference}`, dst]);
    expect(first).toMatchObject({ code: 0, out: '' });
    expect(first.err).toBe(`Copied docker://${images.busybox.reference} to ${dst}: ${images.busybox.digest} (0 blobs copied, 0 already there, 2 mounted)\n`);
    const again = await shimkit(['image', 'copy', `docker://${images.busybox.reference}`, dst]);
    expect(again.err).toContain('(0 blobs copied, 2 already there, 0 mounted)');
    expect((await client.getManifest(`${registry.host}/copies/busybox:v1`)).descriptor.digest).toBe(images.busybox.digest);
  });

  it('copies docker -> oci -> docker with digests kept, and a whole index with --all', async () => {
    const layout = join(dir, 'layout');
    expect((await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `oci:${layout}:v1`])).code).toBe(0);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    expect(index.manifests).toEqual([expect.objectContaining({ digest: images.busybox.digest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } })]);
    expect(await readdir(layout)).toEqual(['blobs', 'index.json', 'oci-layout']);
    const back = await shimkit(['image', 'copy', '--quiet', '--digestfile', join(dir, 'digest'), `oci:${layout}:v1`, `docker://${registry.host}/from-oci/busybox:v1`]);
    expect(back).toMatchObject({ code: 0, err: '' });
    expect(await readFile(join(dir, 'digest'), 'utf8')).toBe(images.busybox.digest);

    const all = join(dir, 'all');
    expect((await shimkit(['image', 'copy', '-q', '--all', `docker://${multi.reference}`, `oci:${all}:multi`])).code).toBe(0);
    const allIndex = JSON.parse(await readFile(join(all, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(allIndex.manifests.map((m) => m.digest)).toEqual([multi.digest]);
    expect(existsSync(join(all, 'blobs', 'sha256', images.pause.digest.slice(7)))).toBe(true);
    const arm = await shimkit(['image', 'copy', '-q', '--override-arch', 'arm64', `oci:${all}:multi`, `docker://${registry.host}/arm/pause:v1`]);
    expect(arm.code).toBe(0);
    expect((await client.getManifest(`${registry.host}/arm/pause:v1`)).descriptor.digest).toBe(images.pause.digest);
    const allBack = await shimkit(['image', 'copy', '-q', '--all', `oci:${all}:multi`, `docker://${registry.host}/all/multi:v1`]);
    expect(allBack.code).toBe(0);
    expect((await client.getManifest(`${registry.host}/all/multi:v1`)).descriptor.digest).toBe(multi.digest);
  });

  it('copies docker -> oci-archive -> store -> docker, and the stored image can be given a rootfs', async () => {
    const archive = join(dir, 'busybox.oci.tar');
    const root = join(dir, 'shim-root');
    expect((await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `oci-archive:${archive}:latest`])).code).toBe(0);
    expect((await files(dir)).filter((f) => f.includes('.tmp') || f.includes('staging'))).toEqual([]);
    const stored = await shimkit(['image', 'copy', `oci-archive:${archive}`, 'store:example.com/tools/busybox:v1', '--root', root]);
    expect(stored.code).toBe(0);
    expect(stored.err).toContain(images.busybox.digest);
    const out = await shimkit(['image', 'copy', '-q', '--root', root, 'store:example.com/tools/busybox:v1', `docker://${registry.host}/from-store/busybox:v1`]);
    expect(out).toMatchObject({ code: 0, err: '' });
    expect((await client.getManifest(`${registry.host}/from-store/busybox:v1`)).descriptor.digest).toBe(images.busybox.digest);
    // The store `shimkit serve --root` opens.
    const store = await ImageStore.open({ root: join(root, 'images') });
    try {
      expect(store.get('example.com/tools/busybox:v1')).toMatchObject({ id: images.busybox.configDigest, manifest: { digest: images.busybox.digest } });
      const rootfs = await store.createRootfs('c1', 'example.com/tools/busybox:v1');
      expect(existsSync(join(rootfs.path, 'bin', 'busybox'))).toBe(true);
      await store.removeRootfs('c1');
    } finally {
      await store.close();
    }
    // `shimkit serve` on the same root knows the image, with no registry asked.
    await writeFile(join(dir, 'serve.json'), JSON.stringify({ logLevel: 'error', network: { confDir: join(dir, 'no-cni') } }));
    await withShimkitServe({ socket: join(dir, 'cri.sock'), root, state: join(dir, 'shim-state'), config: join(dir, 'serve.json') }, async (cri) => {
      const status = await cri.image.imageStatus({ image: { image: 'example.com/tools/busybox:v1', annotations: {} } });
      expect(status.image).toMatchObject({ id: images.busybox.configDigest, repoTags: ['example.com/tools/busybox:v1'] });
    });
  });

  it('writes a docker archive and reads it back, keeping the config', async () => {
    const archive = join(dir, 'busybox.docker.tar');
    const written = await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `docker-archive:${archive}:example.com/tools/busybox:v2`]);
    expect(written).toMatchObject({ code: 0, err: '' });
    const layout = join(dir, 'from-docker-archive');
    expect((await shimkit(['image', 'copy', '-q', `docker-archive:${archive}:example.com/tools/busybox:v2`, `oci:${layout}`])).code).toBe(0);
    const back = await shimkit(['image', 'copy', '-q', `docker-archive:${archive}`, `docker://${registry.host}/from-archive/busybox:v1`]);
    expect(back.code).toBe(0);
    const resolved = await client.resolve(`${registry.host}/from-archive/busybox:v1`);
    expect(resolved.manifest.document.manifest.config.digest).toBe(images.busybox.configDigest);
    expect(resolved.manifest.document.manifest.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    const root = join(dir, 'shim-root-2');
    expect((await shimkit(['image', 'copy', '-q', '--root', root, `docker-archive:${archive}`, 'store:busybox:from-archive'])).code).toBe(0);
    const missing = await shimkit(['image', 'copy', `docker-archive:${archive}:example.com/other:v1`, `oci:${join(dir, 'never')}`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('has no image named "example.com/other:v1"');
    expect(existsSync(join(dir, 'never'))).toBe(false);
    const multiToArchive = await shimkit(['image', 'copy', '--all', `docker://${multi.reference}`, `docker-archive:${join(dir, 'never.tar')}`]);
    expect(multiToArchive.code).toBe(1);
    expect(multiToArchive.err).toMatch(/holds one platform's image; copy without --all/);
    expect((await files(dir)).filter((f) => f.startsWith('never') || f.startsWith('.never'))).toEqual([]);
  });

  it('inspects the copies at every transport, as it inspects the registry', async () => {
    const src = `docker://${images.busybox.reference}`;
    const root = join(dir, 'inspect-root');
    const locations = [`oci:${join(dir, 'inspect-layout')}:v1`, `oci-archive:${join(dir, 'inspect.tar')}:v1`, `docker-archive:${join(dir, 'inspect.docker.tar')}:example.com/i:v1`, 'store:example.com/i:v1'];
    for (const location of locations) expect((await shimkit(['image', 'copy', '-q', '--root', root, src, location])).code, location).toBe(0);
    const registryConfig = (await shimkit(['image', 'inspect', '--config', src])).out;
    for (const location of locations) {
      const view = JSON.parse((await shimkit(['image', 'inspect', '--format', 'json', '--root', root, location])).out) as { name: string; digest: string; cmd: string[] };
      expect(view, location).toMatchObject({ name: location, cmd: ['sh'] });
      if (!location.startsWith('docker-archive:')) expect(view.digest, location).toBe(images.busybox.digest);
      expect((await shimkit(['image', 'inspect', '--config', '--root', root, location])).out, location).toBe(registryConfig);
    }
    const raw = await shimkit(['image', 'inspect', '--raw', `oci:${join(dir, 'inspect-layout')}:v1`]);
    expect(raw.out).toBe((await client.getManifest(images.busybox.reference)).bytes.toString('utf8'));
  });

  it('draws a progress bar per blob when stderr is a terminal', async () => {
    let drawn = '';
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 120, rows: 40 });
    tty.on('data', (chunk: Buffer) => void (drawn += chunk.toString('utf8')));
    let err = '';
    const code = await runCli(['image', 'copy', `docker://${images.busybox.reference}`, `oci:${join(dir, 'progress')}`], {
      stdout: () => undefined,
      stderr: (t) => void (err += t),
      tty: tty as unknown as NodeJS.WriteStream,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    expect(err).toContain('(2 blobs copied, 0 already there, 0 mounted)');
    expect(drawn).toContain(`blob ${images.busybox.layers[0]!.slice(7, 19)} [`);
    expect(drawn).toMatch(/1\.0 MiB \/ 1\.0 MiB done/);
    const quiet = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    let quietDrawn = '';
    quiet.on('data', (chunk: Buffer) => void (quietDrawn += chunk.toString('utf8')));
    expect(await runCli(['image', 'copy', '-q', `docker://${images.busybox.reference}`, `oci:${join(dir, 'progress-quiet')}`], { stdout: () => undefined, stderr: () => undefined, tty: quiet as unknown as NodeJS.WriteStream, signal: new AbortController().signal })).toBe(0);
    expect(quietDrawn).toBe('');
  });

  it('fails cleanly: unknown transport, missing image, bad credentials, unwritable destination, interruption', async () => {
    expect(await shimkit(['image', 'copy', 'ftp://x', `oci:${dir}/x`])).toMatchObject({ code: 2, err: expect.stringContaining('unknown transport in "ftp://x"') });
    expect((await shimkit(['image', 'copy', 'store:x', `oci:${dir}/x`])).err).toContain('store: locations need --root DIR');
    expect((await shimkit(['image', 'copy', `docker://${images.busybox.reference}`])).code).toBe(2);
    const help = await shimkit(['image', 'copy', '--help']);
    expect(help).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: shimkit image copy \[options\] <source> <destination>/) });

    const scratch = join(dir, 'failures');
    await mkdir(scratch);
    const missing = await shimkit(['image', 'copy', `docker://${registry.host}/nothing:here`, `oci-archive:${scratch}/a.tar`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^shimkit: copy of docker:\/\/127\.0\.0\.1:\d+\/nothing:here to oci-archive:.*a\.tar: manifest .*HTTP 404.*\[REGISTRY_NOT_FOUND\]\n$/);

    const denied = await shimkit(['image', 'copy', '--dest-creds', `${auth.username}:wrong`, `docker://${images.busybox.reference}`, `docker://${secured.host}/busybox:v1`]);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/copy of .* to docker:\/\/127\.0\.0\.1:\d+\/busybox:v1: .*\[REGISTRY_UNAUTHORIZED\]/);
    const allowed = await shimkit(['image', 'copy', '-q', '--dest-creds', `${auth.username}:${auth.password}`, `docker://${images.busybox.reference}`, `docker://${secured.host}/busybox:v1`]);
    expect(allowed.code).toBe(0);

    const notDir = join(scratch, 'a-file');
    await writeFile(notDir, 'x');
    const unwritable = await shimkit(['image', 'copy', `docker://${images.busybox.reference}`, `docker-archive:${notDir}/out.tar`]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.err).toMatch(/cannot write archive .*a-file\/out\.tar: ENOTDIR/);
    const unwritableOci = await shimkit(['image', 'copy', `docker://${images.busybox.reference}`, `oci:${notDir}/layout`]);
    expect(unwritableOci.code).toBe(1);
    expect(unwritableOci.err).toContain('ENOTDIR');

    // An image pulled by a store that drops layer blobs after unpacking (serve's default) cannot be copied out.
    const pulledBy = await ImageStore.open({ root: join(scratch, 'pulled', 'images'), registry: client });
    try {
      await pulledBy.pull(images.busybox.reference);
    } finally {
      await pulledBy.close();
    }
    const notKept = await shimkit(['image', 'copy', '--root', join(scratch, 'pulled'), `store:${images.busybox.reference}`, `oci:${scratch}/from-store`]);
    expect(notKept.code).toBe(1);
    expect(notKept.err).toContain(`blob ${images.busybox.layers[0]} of ${images.busybox.reference} is not kept in the store`);
    await rm(join(scratch, 'pulled'), { recursive: true });

    // A store open elsewhere (as by a running `shimkit serve` on the same root) is shared: the copy lands, and the holder lists it at once.
    const held = await ImageStore.open({ root: join(scratch, 'held', 'images') });
    try {
      const shared = await shimkit(['image', 'copy', '--root', join(scratch, 'held'), `docker://${images.busybox.reference}`, 'store:busybox:held']);
      expect(shared.code, shared.err).toBe(0);
      expect(held.get('busybox:held')?.id).toBe(images.busybox.configDigest);
    } finally {
      await held.close();
    }
    await rm(join(scratch, 'held'), { recursive: true });

    const controller = new AbortController();
    controller.abort(new Error('got SIGINT'));
    for (const dst of [`oci:${scratch}/layout`, `oci-archive:${scratch}/b.tar`, `docker-archive:${scratch}/c.tar`, `store:busybox:x`]) {
      const interrupted = await shimkit(['image', 'copy', '--root', join(scratch, 'root'), `docker://${images.busybox.reference}`, dst], { signal: controller.signal });
      expect(interrupted.code, dst).toBe(1);
      expect(interrupted.err, dst).toMatch(/interrupted \(got SIGINT\); nothing was left at the destination/);
    }
    expect((await files(scratch)).filter((f) => !f.startsWith('root'))).toEqual(['a-file']);
    const store = await ImageStore.open({ root: join(scratch, 'root', 'images') });
    expect(store.list()).toEqual([]);
    await store.close();
  });
});
