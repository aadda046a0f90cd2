import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient } from '@shimkit/image-store';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimkit } from '../image-cli/cli-harness.js';

let registry: Registry;
let images: TestImages;
let dir: string;
let client: RegistryClient;

// podman's default open-files and process limits are above this machine's hard limits.
async function tool(name: string, args: string[]): Promise<string> {
  const storage = ['--root', join(dir, name, 'root'), '--runroot', join(dir, name, 'runroot'), '--storage-driver', 'vfs'];
  try {
    return (await promisify(execFile)(name, [...storage, ...args], { timeout: 120_000 })).stdout;
  } catch (e) {
    throw new Error(`${name} ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`, { cause: e });
  }
}

async function context(name: string, files: Record<string, string>): Promise<string> {
  const ctx = join(dir, name);
  await mkdir(ctx, { recursive: true });
  for (const [path, content] of Object.entries(files)) await writeFile(join(ctx, path), content);
  return ctx;
}

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  dir = await mkdtemp(join(tmpdir(), 'shimkit-build-cli-'));
});
afterAll(async () => {
  await client?.close();
  await registry?.close();
  // podman's and buildah's vfs storage hold no mounts once their commands end.
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('shimkit build', () => {
  it('builds into the store of --root, pushes with image copy store:, and buildah and podman use the result', async () => {
    const root = join(dir, 'shim');
    const ctx = await context('ours', { Containerfile: `FROM ${images.busybox.reference}\nARG WHO=nobody\nRUN echo "built for $WHO" > /built\nCMD ["cat", "/built"]\n` });
    const built = await shimkit(['build', '--root', root, '-t', 'example.com/cli/ours:v1', '--build-arg', 'WHO=cli', ctx]);
    expect(built.code).toBe(0);
    expect(built.err).toContain('STEP 3/4: RUN echo "built for $WHO" > /built');
    expect(built.out).toMatch(/^[0-9a-f]{64}\n$/);

    const rebuilt = await shimkit(['build', '--root', root, '-t', 'example.com/cli/ours:v1', '--build-arg', 'WHO=cli', ctx]);
    expect(rebuilt.err).toContain('--> Using cache');
    expect(rebuilt.out).toBe(built.out);

    const ours = `${registry.host}/cli/ours:v1`;
    expect(await shimkit(['image', 'copy', '-q', '--root', root, 'store:example.com/cli/ours:v1', `docker://${ours}`])).toMatchObject({ code: 0 });
    const out = await tool('podman', ['run', '--rm', '--tls-verify=false', '--runtime', 'runc', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', ours]);
    expect(out).toBe('built for cli\n');

    // buildah builds FROM our image and pushes; we build FROM theirs.
    const theirsCtx = await context('theirs', { Containerfile: `FROM ${ours}\nRUN echo "and by buildah" >> /built\n` });
    await tool('buildah', ['bud', '--quiet', '--isolation', 'oci', '--runtime', 'runc', '--tls-verify=false', '-t', 'theirs', theirsCtx]);
    const theirs = `${registry.host}/cli/theirs:v1`;
    await tool('buildah', ['push', '--quiet', '--tls-verify=false', 'theirs', `docker://${theirs}`]);
    const backCtx = await context('back', { Containerfile: `FROM ${theirs}\nRUN cat /built > /seen\n` });
    expect((await shimkit(['build', '--root', root, '-q', '-t', 'example.com/cli/back:v1', backCtx])).code).toBe(0);
    const back = `${registry.host}/cli/back:v1`;
    expect(await shimkit(['image', 'copy', '-q', '--root', root, 'store:example.com/cli/back:v1', `docker://${back}`])).toMatchObject({ code: 0 });
    expect(await tool('podman', ['run', '--rm', '--tls-verify=false', '--runtime', 'runc', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', back, 'cat', '/seen'])).toBe('built for cli\nand by buildah\n');
  });

  it('a syntax error is a usage error naming the line; a failing RUN exits 1 with its output', async () => {
    const root = join(dir, 'shim-bad');
    const bad = await context('bad', { Containerfile: `FROM ${images.busybox.reference}\nCOPY\n` });
    const syntax = await shimkit(['build', '--root', root, bad]);
    expect(syntax).toMatchObject({ code: 2, err: 'shimkit build: Containerfile:2: COPY needs arguments\n' });
    const failing = await context('failing', { Containerfile: `FROM ${images.busybox.reference}\nRUN echo nope; exit 7\n` });
    const run = await shimkit(['build', '--root', root, '-q', failing]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('exited with code 7');
    expect(run.err).toContain('nope');
  });

  it('prints its help, and builds FROM scratch for another --platform', async () => {
    const help = await shimkit(['build', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: shimkit build [options] <context>');
    const root = join(dir, 'shim-platform');
    const ctx = await context('platform', { Containerfile: 'FROM scratch\nCOPY Containerfile /\n' });
    expect((await shimkit(['build', '--root', root, '-q', '--platform', 'linux/arm64/v8', '-t', 'example.com/arm/scratch:v1', ctx])).code).toBe(0);
    const inspected = JSON.parse((await shimkit(['image', 'inspect', '--format', 'json', '--root', root, 'store:example.com/arm/scratch:v1'])).out) as { architecture?: string; platform?: { architecture: string } };
    expect(JSON.stringify(inspected)).toContain('arm64');
  });

  it('rejects bad flags', async () => {
    expect((await shimkit(['build', '--network', 'bridge', dir])).code).toBe(2);
    expect((await shimkit(['build', '--build-arg', '=x', dir])).code).toBe(2);
    expect((await shimkit(['build', '--platform', 'linux', dir])).code).toBe(2);
  });
  it('rmi --prune removes the build cache (the unnamed step images) and keeps the named image; a rebuild then runs its steps again', async () => {
    const root = join(dir, 'shim-prune');
    const ctx = await context('prune', { Containerfile: `FROM ${images.busybox.reference}\nRUN echo one > /one\nRUN echo two > /two\n` });
    const build = ['build', '--root', root, '-t', 'example.com/cli/prune:v1', ctx];
    expect((await shimkit(build)).code).toBe(0);
    const listed = async (): Promise<Array<{ Names: string[] | null }>> => JSON.parse((await shimkit(['--root', root, 'images', '--format', 'json'])).out) as Array<{ Names: string[] | null }>;
    const unnamed = (await listed()).filter((i) => (i.Names ?? []).length === 0);
    expect(unnamed.length).toBeGreaterThan(0);

    expect(await shimkit(['--root', root, 'rmi'])).toMatchObject({ code: 125, err: expect.stringContaining('name an image to remove, or use --prune') });
    const pruned = await shimkit(['--root', root, 'rmi', '--prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.out).toMatch(new RegExp(`^Pruned ${unnamed.length} images without a name \\(\\d+ layers, \\d+ blobs\\)\\n$`));
    const after = await listed();
    expect(after.map((i) => i.Names)).toEqual(expect.arrayContaining([expect.arrayContaining(['example.com/cli/prune:v1'])]));
    expect(after.filter((i) => (i.Names ?? []).length === 0)).toEqual([]);

    // the step images are gone: the first RUN runs again (before the prune a rebuild ran no step)
    const rebuilt = await shimkit([...build]);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.err).toMatch(/STEP 2\/3: RUN echo one > \/one\n(?!--> Using cache)/);
    expect(rebuilt.err).toMatch(/--> [1-9]\d* steps run/);
  });
});
