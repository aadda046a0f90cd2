import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, ContainerState, type CriClient } from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { E2eBed, EMPTY_LEFTOVERS, logLines } from './e2e-bed.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

let bed: E2eBed;
let serve: ChildProcess;
let serveLog = '';
let cri: CriClient;
let engineFlags: string[];

/** Runs a `shimkit` command (another process on the same --root) to its end. */
function shimkit(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}
const engine = (args: readonly string[]) => shimkit([...engineFlags, ...args]);

beforeAll(async () => {
  await access(MAIN).catch(() => {
    throw new Error(`${MAIN} is missing: build shimkit first (npx tsc -b)`);
  });
  bed = await E2eBed.start();
  engineFlags = ['--root', bed.root, '--runroot', join(bed.dir, 'runroot'), '--cgroup-parent', bed.cgroupParent];
  const config = join(bed.dir, 'shimkit.json');
  await writeFile(config, JSON.stringify(bed.defaults()));
  serve = spawn(process.execPath, [MAIN, 'serve', '--socket', bed.socket, '--root', bed.root, '--state', bed.state, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stderr?.on('data', (d: Buffer) => (serveLog += d.toString()));
  await vi.waitFor(() => expect(serveLog).toContain('shimkit serving'), { timeout: 20_000, interval: 50 });
  cri = await connect(`unix://${bed.socket}`, { defaultTimeoutMs: 60_000 });
});
afterAll(async () => {
  cri?.close();
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  try {
    expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  } finally {
    await bed?.destroy();
  }
});

const listed = async () => (await cri.image.listImages({})).images;

/** A pod whose container runs `script`, then stays up (so its rootfs stays). */
async function runPod(image: string, name: string, script: string): Promise<{ podSandboxId: string; containerId: string; log: () => Promise<string[]> }> {
  const config = bed.pod(name);
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
  const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container(name, { image: { image }, command: ['sh', '-c', `${script}; exec sleep 3600`] }) });
  await cri.runtime.startContainer({ containerId });
  return { podSandboxId, containerId, log: () => logLines(join(config.logDirectory as string, `${name}.log`)).catch(() => []) };
}

describe('one image store shared by `shimkit serve` and the CLI commands on the same --root', () => {
  it('runs with `shimkit run` an image pulled through serve, and pulls the same image from both at once into one record', async () => {
    const { imageRef } = await cri.image.pullImage({ image: { image: bed.images.pause.reference } });
    const ran = await engine(['run', '--rm', '--network', 'none', '--entrypoint', 'echo', bed.images.pause.reference, 'hi from the shared store']);
    expect(ran.stderr).toBe('');
    expect(ran).toMatchObject({ code: 0, stdout: 'hi from the shared store\n' });
    expect(ran.stderr).not.toMatch(/pull/i);
    expect(imageRef).toBe(bed.images.pause.configDigest);

    const [viaCri, viaCli] = await Promise.all([cri.image.pullImage({ image: { image: bed.images.busybox.reference } }), engine(['pull', '-q', bed.images.busybox.reference])]);
    expect(viaCli).toMatchObject({ code: 0, stdout: `${bed.images.busybox.configDigest.slice(7)}\n` });
    expect(viaCri.imageRef).toBe(bed.images.busybox.configDigest);
    expect((await listed()).filter((i) => i.id === bed.images.busybox.configDigest)).toHaveLength(1);
    expect((await engine(['images', '--format', 'json'])).stdout).toContain(bed.images.busybox.configDigest.slice(7));
  });

  it('lists an image built or copied by the CLI at once (not the build cache), runs it in a pod, and refuses `shimkit rmi` of an image a pod uses', async () => {
    const ctx = join(bed.dir, 'ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Containerfile'), `FROM ${bed.images.busybox.reference}\nRUN echo built while serve ran > /built\nCMD ["cat", "/built"]\n`);
    const built = await shimkit(['build', '--root', bed.root, '-t', 'localhost/shared/built:v1', ctx]);
    expect(built.code, built.stderr).toBe(0);
    const images = await listed();
    expect(images.find((i) => i.repoTags.includes('localhost/shared/built:v1'))?.id).toBe(`sha256:${built.stdout.trim()}`);
    // The build's intermediate images are in the store, but not listed.
    const index = JSON.parse(await readFile(join(bed.root, 'images', 'images.json'), 'utf8')) as { images: { repoTags: string[]; repoDigests: string[] }[] };
    expect(index.images.some((i) => i.repoTags.length === 0 && i.repoDigests.length === 0)).toBe(true);
    expect(images.every((i) => i.repoTags.length > 0 || i.repoDigests.length > 0)).toBe(true);

    const copied = await shimkit(['image', 'copy', '--root', bed.root, `docker://${bed.images.busybox.reference}`, 'store:localhost/shared/copied:v1']);
    expect(copied.code, copied.stderr).toBe(0);
    expect((await listed()).some((i) => i.repoTags.includes('localhost/shared/copied:v1'))).toBe(true);

    const pod = await runPod('localhost/shared/built:v1', 'built', 'cat /built');
    await vi.waitFor(async () => expect(await pod.log()).toEqual(['stdout F built while serve ran']), { timeout: 20_000, interval: 100 });
    const refused = await engine(['rmi', '-f', 'localhost/shared/built:v1']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/image localhost\/shared\/built:v1 is in use by container [0-9a-f]{12} of another program on this image store/);
    expect((await cri.runtime.containerStatus({ containerId: pod.containerId })).status?.state).toBe(ContainerState.CONTAINER_RUNNING);
    await cri.runtime.stopContainer({ containerId: pod.containerId, timeout: 0n });
    await cri.runtime.removeContainer({ containerId: pod.containerId });
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
    expect((await engine(['rmi', 'localhost/shared/built:v1'])).code).toBe(0);
    expect((await listed()).some((i) => i.repoTags.includes('localhost/shared/built:v1'))).toBe(false);
  });

  it('defers RemoveImage through serve of an image a CLI container uses: the name goes, the container keeps its layers', async () => {
    expect((await engine(['create', '--name', 'keeper', '--network', 'none', 'localhost/shared/copied:v1', 'sh', '-c', 'echo layers kept'])).code).toBe(0);
    await cri.image.removeImage({ image: { image: 'localhost/shared/copied:v1' } });
    expect((await listed()).some((i) => i.repoTags.includes('localhost/shared/copied:v1'))).toBe(false);
    expect((await engine(['images'])).stdout).not.toContain('localhost/shared/copied');
    // serve's gc after the removal kept the layers under the container's rootfs
    const started = await engine(['start', '-a', 'keeper']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toBe('layers kept\n');
    expect((await engine(['rm', 'keeper'])).code).toBe(0);
  });
});
