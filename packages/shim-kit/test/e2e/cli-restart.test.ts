import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, ContainerState, PodSandboxState, type CriClient } from '@shimkit/cri-types';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { E2eBed, EMPTY_LEFTOVERS, logLines } from './e2e-bed.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A `shimkit` CLI process and what it wrote to stderr. */
interface CliProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
function startCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => err, exited };
}

let bed: E2eBed;
let configFile: string;
beforeAll(async () => {
  await access(MAIN).catch(() => {
    throw new Error(`${MAIN} is missing: build shimkit first (npx tsc -b)`);
  });
  bed = await E2eBed.start();
  configFile = join(bed.dir, 'shimkit.json');
  await writeFile(configFile, JSON.stringify({ logLevel: 'debug', ...bed.defaults() }));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  try {
    expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  } finally {
    await bed?.destroy();
  }
});

async function serve(config = configFile): Promise<{ cli: CliProcess; cri: CriClient }> {
  const cli = startCli(['serve', '--socket', bed.socket, '--root', bed.root, '--state', bed.state, '--config', config]);
  await vi.waitFor(() => expect(cli.stderr()).toContain('shimkit serving'), { timeout: 20_000, interval: 50 });
  return { cli, cri: await connect(`unix://${bed.socket}`, { defaultTimeoutMs: 30_000 }) };
}

const runcState = (id: string): string => {
  try {
    return (JSON.parse(execFileSync('runc', ['--root', join(bed.state, 'runtime', 'runc'), 'state', id], { encoding: 'utf8' })) as { status: string }).status;
  } catch {
    return 'absent';
  }
};

describe('shimkit CLI', () => {
  it('prints help and version, and refuses bad usage and a bad config file with exit code 2, naming what is wrong', async () => {
    const help = startCli(['--help']);
    expect((await help.exited).code).toBe(0);
    expect(help.stderr()).toContain('Usage: shimkit serve --socket <path>');
    const version = startCli(['--version']);
    expect((await version.exited).code).toBe(0);
    expect(version.stderr()).toMatch(/^shimkit \d+\.\d+\.\d+\n$/);

    const usage = startCli(['serve', '--socket', bed.socket]);
    expect((await usage.exited).code).toBe(2);
    expect(usage.stderr()).toContain('serve needs --root, --state');

    const bad = join(bed.dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ logLevel: 'loud', runtime: { runtme: 'runc' }, network: { binDirs: '/usr/lib/cni' } }));
    const refused = startCli(['serve', '--socket', join(bed.dir, 'x.sock'), '--root', join(bed.dir, 'x-root'), '--state', join(bed.dir, 'x-state'), '--config', bad]);
    expect((await refused.exited).code).toBe(2);
    for (const part of [`${bad}.logLevel: expected one of`, `${bad}.runtime.runtme: unknown key`, `${bad}.network.binDirs: expected an array of strings`]) {
      expect(refused.stderr()).toContain(part);
    }
    await expect(access(join(bed.dir, 'x.sock'))).rejects.toThrow();
  });

  it('survives SIGKILL: a new shim finds the running container running and the one that exited meanwhile with its code and full log; SIGTERM leaves containers running', async () => {
    let { cli, cri } = await serve();
    const second = startCli(['serve', '--socket', bed.socket, '--root', join(bed.dir, 'r2'), '--state', join(bed.dir, 's2')]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/ERROR shim failed to start code=AddressInUse/);
    await cri.image.pullImage({ image: { image: bed.images.busybox.reference } });
    const config = bed.pod('restart');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
    const ip = (await cri.runtime.podSandboxStatus({ podSandboxId })).status?.network?.ip;
    expect(ip?.startsWith(bed.prefix)).toBe(true);
    const start = async (name: string, command: string[]): Promise<string> => {
      const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container(name, { command }) });
      await cri.runtime.startContainer({ containerId });
      return containerId;
    };
    const sleeper = await start('sleeper', ['sleep', '3600']);
    const quitter = await start('quitter', ['sh', '-c', 'echo one; sleep 1.5; echo two; exit 7']);

    await cri.close();
    cli.child.kill('SIGKILL');
    expect((await cli.exited).signal).toBe('SIGKILL');
    await vi.waitFor(() => expect(runcState(quitter)).toBe('stopped'), { timeout: 10_000, interval: 100 });
    expect(runcState(sleeper)).toBe('running');

    ({ cli, cri } = await serve());
    const status = async (id: string) => (await cri.runtime.containerStatus({ containerId: id })).status;
    expect((await cri.runtime.listContainers({})).containers.map((c) => c.id).sort()).toEqual([sleeper, quitter].sort());
    expect((await status(sleeper))?.state).toBe(ContainerState.CONTAINER_RUNNING);
    expect(await status(quitter)).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 7, reason: 'Error' });
    expect(await logLines(join(config.logDirectory as string, 'quitter.log'))).toEqual(['stdout F one', 'stdout F two']);
    const pod = (await cri.runtime.podSandboxStatus({ podSandboxId })).status;
    expect(pod).toMatchObject({ state: PodSandboxState.SANDBOX_READY, network: { ip } });
    const exec = await cri.runtime.execSync({ containerId: sleeper, cmd: ['cat', '/etc/hostname'], timeout: 5n });
    expect(Buffer.from(exec.stdout).toString()).toBe('restart\n');

    await cri.close();
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    expect(cli.stderr()).toContain('shutting down; containers keep running signal=SIGTERM');
    await expect(access(bed.socket)).rejects.toThrow();
    expect(runcState(sleeper)).toBe('running');

    ({ cli, cri } = await serve());
    expect((await status(sleeper))?.state).toBe(ContainerState.CONTAINER_RUNNING);
    await cri.runtime.stopContainer({ containerId: sleeper, timeout: 0n });
    expect(await status(sleeper)).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 137 });
    for (const id of [sleeper, quitter]) await cri.runtime.removeContainer({ containerId: id });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
    await cri.close();
    cli.child.kill('SIGINT');
    expect((await cli.exited).code).toBe(0);
    expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  });

  it('passes the registry configuration of the config file (credentials per host) to the image backend', async () => {
    const auth = { username: 'shim', password: `pw-${process.pid}` };
    await using registry = await startRegistry({ auth });
    const { busybox } = await pushTestImages(registry);
    const withCredentials = join(bed.dir, 'auth.json');
    await writeFile(withCredentials, JSON.stringify({ ...bed.defaults(), images: { registry: { hosts: { [registry.host]: { plainHttp: true, credentials: auth } } } } }));

    let { cli, cri } = await serve();
    const refused = await cri.image.pullImage({ image: { image: busybox.reference } }).then(() => 'pulled', (e: { code?: string }) => e.code);
    expect(refused).toBe('Unauthenticated');
    await cri.close();
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);

    ({ cli, cri } = await serve(withCredentials));
    const { imageRef } = await cri.image.pullImage({ image: { image: busybox.reference } });
    expect(imageRef).toBe(busybox.configDigest);
    await cri.image.removeImage({ image: { image: imageRef } });
    await cri.close();
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });
});
