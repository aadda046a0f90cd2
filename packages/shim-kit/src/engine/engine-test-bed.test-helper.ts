import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistryFixture, type RegistryFixture } from '../modules/images/registry-fixture.test-helper.js';
import { conmonPidsUnder, runcContainerIds, sweepTestHost } from '../modules/runc/host-leftovers.test-helper.js';
import { mountsUnder } from '../modules/runc/sandbox-pins.js';
import { ContainerEngine } from './container-engine.js';
import { bridgeConflist } from './default-network.js';

/** The built CLI the tests run as a user would: the package's bin, from the CLI's startup snapshot when the build made one. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/shimkit', import.meta.url));

/** What one CLI invocation did. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A private engine world for one test file: a registry with the test images, a short temp dir
 * with root and runroot, its own bridge network (bridge `run<hex>`, a 10.251.x.0/24 subnet, no
 * masquerade) and cgroup parent; `leftovers()` lists what it still has on the host.
 */
export interface EngineTestBed {
  dir: string;
  root: string;
  runroot: string;
  image: string;
  bridge: string;
  subnet: string;
  cgroupParent: string;
  fixture: RegistryFixture;
  engine(): ContainerEngine;
  /** The global flags of the CLI for this bed. */
  flags: string[];
  /** Runs `shimkit <flags> <args>` to its end (bounded by `timeoutMs`, default 60 s). */
  cli(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<CliResult>;
  leftovers(): Promise<{ containers: string[]; conmons: number[]; mounts: string[]; netns: string[]; bridgePorts: string[]; records: string[] }>;
  close(): Promise<void>;
}

function bridgePorts(bridge: string): string[] {
  try {
    return execFileSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((l) => l.trim() !== '');
  } catch {
    return []; // no bridge
  }
}

export async function createEngineTestBed(): Promise<EngineTestBed> {
  const tag = randomBytes(3).toString('hex');
  const dir = await mkdtemp(`/tmp/run-${tag}-`);
  const root = join(dir, 'r');
  const runroot = join(dir, 's');
  const bridge = `run${tag}`;
  const subnet = `10.251.${randomInt(0, 256)}.0/24`;
  const cgroupParent = `/shimkit-run-${tag}`;
  const fixture = await startRegistryFixture();
  await mkdir(join(root, 'engine', 'cni'), { recursive: true });
  await writeFile(join(root, 'engine', 'cni', '10-test.conflist'), JSON.stringify(bridgeConflist({ name: `run-${tag}`, bridge, subnet, ipMasq: false })));
  const engines: ContainerEngine[] = [];
  const flags = ['--root', root, '--runroot', runroot, '--cgroup-parent', cgroupParent];
  const runcRoot = join(runroot, 'runc');
  return {
    dir,
    root,
    runroot,
    image: fixture.images.busybox.reference,
    bridge,
    subnet,
    cgroupParent,
    fixture,
    flags,
    engine: () => {
      const e = new ContainerEngine({ root, runroot, cgroupParent });
      engines.push(e);
      return e;
    },
    cli: (args, options = {}) =>
      new Promise((resolve) => {
        const child = execFile(CLI_BIN, [...flags, ...args], { timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
        });
        if (options.input !== undefined) child.stdin?.end(options.input);
        else child.stdin?.end();
      }),
    leftovers: async () => ({
      containers: runcContainerIds(runcRoot),
      conmons: conmonPidsUnder(dir),
      mounts: await mountsUnder(dir),
      netns: await readdir(join(runroot, 'netns')).catch(() => [] as string[]),
      bridgePorts: bridgePorts(bridge),
      records: await readdir(join(root, 'engine', 'containers')).catch(() => [] as string[]),
    }),
    close: async () => {
      for (const e of engines) await e.close().catch(() => undefined);
      const sweeper = new ContainerEngine({ root, runroot, cgroupParent });
      for (const c of await sweeper.list({ all: true }).catch(() => [])) await sweeper.remove(c.id, { force: true }).catch(() => undefined);
      await sweeper.close();
      await sweepTestHost(dir, { roots: [runcRoot], cgroupParent });
      await new Promise((r) => execFile('ip', ['link', 'del', bridge], () => r(undefined)));
      await fixture.close();
    },
  };
}
