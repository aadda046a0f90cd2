// A throwaway CNI setup for tests: its own dir, bridge name and /24, cleaned up after.
import { randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { removeIptablesRules } from '@shimkit/test-bed';
import { runCommand } from './run-command.js';
import type { CniPodNetworkOptions } from './cni-pod-network.js';

export const SYSTEM_BIN_DIR = '/usr/lib/cni';

/** The host helper test commands run through (idle, it keeps no test alive). */
export const testHelper = new HostHelper();

/** Runs a command, failing on a non-zero exit. */
export async function sh(file: string, ...args: string[]): Promise<string> {
  const res = await runCommand(file, args, { timeoutMs: 20_000, helper: testHelper });
  if (res.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
  return res.stdout;
}

// The flaky plugin, run by the node running the tests (its own first line names any node on PATH).
const FLAKY_PLUGIN = new URL('./flaky-cni-plugin.fixture.cjs', import.meta.url);

/** One call the flaky plugin logged. */
export interface FlakyCall {
  cmd: string;
  input: Record<string, unknown>;
  env: Record<string, string>;
}

/** A bridge plugin's configuration with host-local IPAM over `subnet`: no gateway, no masquerade, no routes. */
export function isolatedBridgePlugin(opts: { bridge: string; subnet: string; dataDir: string }): Record<string, unknown> {
  return {
    type: 'bridge',
    bridge: opts.bridge,
    isGateway: false,
    isDefaultGateway: false,
    ipMasq: false,
    hairpinMode: false,
    ipam: { type: 'host-local', ranges: [[{ subnet: opts.subnet }]], routes: [], dataDir: opts.dataDir },
  };
}

/** A test's own network: bridge `skn<hex>`, a random 10.1xx.y.0/24, dirs under a temp dir. */
export class TestNetwork {
  readonly name = `shimkit-cni-test-${randomBytes(3).toString('hex')}`;
  readonly bridge = `skn${randomBytes(4).toString('hex')}`;
  readonly prefix = `10.${randomInt(100, 150)}.${randomInt(0, 256)}.`;
  readonly subnet = `${this.prefix}0/24`;
  private constructor(readonly dir: string) {}

  static async create(): Promise<TestNetwork> {
    const net = new TestNetwork(await mkdtemp(join(tmpdir(), `shimkit-cni-${process.pid}-`)));
    await mkdir(net.binDir);
    const plugin = (await readFile(FLAKY_PLUGIN, 'utf8')).replace(/^#!.*/, `#!${process.execPath}`);
    await writeFile(join(net.binDir, 'flaky'), plugin);
    await chmod(join(net.binDir, 'flaky'), 0o755);
    return net;
  }

  get binDir(): string {
    return join(this.dir, 'bin');
  }
  get ipamDir(): string {
    return join(this.dir, 'ipam');
  }

  /** The bridge plugin's configuration (no gateway, no masquerade, no routes). */
  bridgePlugin(): Record<string, unknown> {
    return isolatedBridgePlugin({ bridge: this.bridge, subnet: this.subnet, dataDir: this.ipamDir });
  }

  /** Writes a conf dir `conf-<tag>` holding `files` (name -> content, objects as JSON); returns its path. */
  async confDir(tag: string, files: Record<string, string | object>): Promise<string> {
    const dir = join(this.dir, `conf-${tag}`);
    await mkdir(dir, { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      await writeFile(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
    }
    return dir;
  }

  /** A network list of `plugins` under this network's name. */
  list(plugins: object[], cniVersion = '1.0.0'): object {
    return { cniVersion, name: this.name, plugins };
  }

  /** Options for a CniPodNetwork over `confDir`. */
  options(confDir: string): CniPodNetworkOptions {
    return { confDir, binDirs: [this.binDir, SYSTEM_BIN_DIR], netnsDir: join(this.dir, 'netns'), cacheDir: join(this.dir, 'cache') };
  }

  /** Makes the flaky plugin fail `cmd` (once, or until cleared). */
  async failFlaky(cmd: string, spec: { code?: number; msg: string; details?: string; once?: boolean; stderrOnly?: boolean; hangMs?: number }): Promise<void> {
    await writeFile(join(this.dir, `fail-${cmd}`), JSON.stringify(spec));
  }

  async flakyCalls(): Promise<FlakyCall[]> {
    const text = await readFile(join(this.dir, 'calls.jsonl'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FlakyCall);
  }

  /** host-local leases still held (files named after an address). */
  async leases(): Promise<string[]> {
    const files = await readdir(join(this.ipamDir, this.name)).catch(() => [] as string[]);
    return files.filter((f) => f.startsWith(this.prefix));
  }

  /** Interfaces enslaved to the bridge. */
  async bridgePorts(): Promise<string[]> {
    const names = await readdir('/sys/class/net');
    const masters = await Promise.all(names.map((n) => readlink(`/sys/class/net/${n}/master`).catch(() => '')));
    return names.filter((_, i) => masters[i]?.endsWith(`/${this.bridge}`));
  }

  /** iptables rules (all tables) that mention this network's subnet. */
  async iptablesRules(): Promise<string[]> {
    return (await sh('iptables-save')).split('\n').filter((l) => l.includes(this.prefix));
  }

  /** Mounts at or below the test dir. */
  async mounts(): Promise<string[]> {
    const text = await readFile('/proc/self/mountinfo', 'utf8');
    return text
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.dir + '/'));
  }

  /** Everything a correct run must not leave behind (the bridge itself aside). */
  async leftovers(): Promise<string[]> {
    const netns = await readdir(join(this.dir, 'netns')).catch(() => [] as string[]);
    const cache = await readdir(join(this.dir, 'cache')).catch(() => [] as string[]);
    return [
      ...(await this.mounts()).map((m) => `mount ${m}`),
      ...netns.map((n) => `netns file ${n}`),
      ...cache.map((c) => `cache file ${c}`),
      ...(await this.bridgePorts()).map((p) => `bridge port ${p}`),
      ...(await this.leases()).map((l) => `lease ${l}`),
      ...(await this.iptablesRules()).map((r) => `iptables ${r}`),
    ];
  }

  /** Forceful cleanup: mounts, iptables rules for the subnet, the bridge, the dir. */
  async destroy(): Promise<void> {
    for (const m of (await this.mounts()).reverse()) await runCommand('umount', ['-l', m], { helper: testHelper });
    await removeIptablesRules((r) => r.rule.includes(this.prefix));
    await runCommand('ip', ['link', 'del', this.bridge], { helper: testHelper });
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Runs a command in a network namespace. */
export function inNetns(netnsPath: string, file: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommand('nsenter', [`--net=${netnsPath}`, file, ...args], { timeoutMs: 20_000, helper: testHelper });
}
