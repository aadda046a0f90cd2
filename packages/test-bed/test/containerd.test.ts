import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { grpcProbe } from '../src/grpc-probe.js';
import {
  isClean,
  isTestBedError,
  leftovers,
  sweepOrphans,
  pushTestImages,
  startContainerd,
  startRegistry,
  type Registry,
  type TestImages,
} from '../src/index.js';

const execFileAsync = promisify(execFile);

describe('startContainerd', () => {
  let registry: Registry;
  let images: TestImages;

  beforeAll(async () => {
    registry = await startRegistry();
    images = await pushTestImages(registry);
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('serves CRI on its own socket with its own network config', async () => {
    await using containerd = await startContainerd({ registry, pauseImage: images.pause.reference });
    expect(containerd.endpoint).toBe(`unix://${containerd.socket}`);
    expect(Buffer.byteLength(containerd.socket)).toBeLessThan(107);
    expect((await stat(containerd.socket)).isSocket()).toBe(true);
    expect(await grpcProbe(containerd.socket, '/runtime.v1.RuntimeService/Version')).toEqual({ status: 0, message: '' });
    expect(await grpcProbe(containerd.socket, '/runtime.v1.ImageService/ListImages')).toEqual({ status: 0, message: '' });
    expect(containerd.bridge).toBe(containerd.id);
    expect(containerd.subnet).toMatch(/^10\.\d+\.\d+\.0\/24$/);
    const hosts = await readFile(join(containerd.dir, 'certs.d', registry.host, 'hosts.toml'), 'utf8');
    expect(hosts).toContain(`server = "http://${registry.host}"`);
  });

  it('leaves nothing behind after close, even with a container still running', async () => {
    const containerd = await startContainerd({ registry, pauseImage: images.pause.reference });
    onTestFinished(() => containerd.close());
    const ctr = (...args: string[]): Promise<unknown> =>
      execFileAsync('ctr', ['--address', containerd.socket, '--namespace', 'k8s.io', ...args], { timeout: 30_000 });
    await ctr('images', 'pull', '--plain-http', images.busybox.reference);
    await ctr(
      'run', '--detach', '--null-io', '--fifo-dir', join(containerd.dir, 'fifo'), '--runc-root', join(containerd.state, 'runc'), '--cgroup', `${containerd.cgroupParent}/c1`,
      images.busybox.reference, 'c1', 'sleep', '1000',
    );
    const before = await leftovers(containerd.id);
    expect(before.processes.some((p) => p.cmdline === 'sleep 1000')).toBe(true);
    expect(before.cgroups.length).toBeGreaterThan(0);
    expect(before.mounts.some((m) => m.endsWith('/rootfs'))).toBe(true);
    expect(before.files.length).toBeGreaterThan(0);

    await containerd.close();
    const after = await leftovers(containerd.id);
    expect(after).toEqual({ processes: [], mounts: [], netns: [], interfaces: [], iptables: [], files: [], cgroups: [] });
    expect(isClean(after)).toBe(true);
    await containerd.close(); // idempotent
  });

  it('reports a containerd that cannot start or was aborted, and cleans up', async () => {
    const ours = async (): Promise<string[]> => (await readdir('/tmp')).filter((n) => /^stb[0-9a-f]{6}-ctrd-/.test(n));
    const dirsBefore = await ours();
    const err = await startContainerd({ registry, pauseImage: images.pause.reference, binary: '/nonexistent/containerd' }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'BINARY_MISSING')).toBe(true);
    const bad = await startContainerd({ registry, pauseImage: images.pause.reference, runc: 'x', startTimeoutMs: 100, binary: '/bin/false' }).catch(
      (e: unknown) => e,
    );
    expect(isTestBedError(bad, 'START_FAILED')).toBe(true);
    expect((bad as Error).message).toMatch(/exit code 1/);
    const aborted = await startContainerd({ registry, pauseImage: images.pause.reference, signal: AbortSignal.timeout(1) }).catch((e: unknown) => e);
    expect(isTestBedError(aborted, 'ABORTED')).toBe(true);
    expect((await ours()).filter((d) => !dirsBefore.includes(d))).toEqual([]);
  });

  it('sweeps an instance whose owner died', async () => {
    // Simulate a dead owner: the instance dir without its daemon, older than the threshold.
    const containerd = await startContainerd({ registry, pauseImage: images.pause.reference });
    process.kill(containerd.pid as number, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(await sweepOrphans({ minAgeMs: 0, id: containerd.id })).toContain(containerd.dir);
    expect(isClean(await leftovers(containerd.id))).toBe(true);
    await containerd.close();
  });

  it('rejects a bad registry host', async () => {
    const err = await startContainerd({ registry: { host: 'http://x/y' }, pauseImage: 'p' }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'INVALID_ARGUMENT')).toBe(true);
  });
});
