import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEngineTestBed, type CliResult, type EngineTestBed } from '../../engine/engine-test-bed.test-helper.js';

/**
 * The same commands through podman 4.3 (`--runtime runc`, its own root, runroot and network
 * config dir in a temp dir) and through shimkit: exit codes, output, env, user, mounts,
 * read-only root, capabilities, logs after exit, ports reachable from the host.
 */
let bed: EngineTestBed;
let podmanDir: string;
let podmanNetwork: string;
let env: NodeJS.ProcessEnv;

function podman(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  const global = ['--runtime', 'runc', '--root', join(podmanDir, 'root'), '--runroot', join(podmanDir, 'run'), '--cgroup-manager', 'cgroupfs', '--log-level', 'error'];
  return new Promise((resolve) => {
    const child = execFile('podman', [...global, ...args], { env, timeout: options.timeoutMs ?? 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

beforeAll(async () => {
  bed = await createEngineTestBed();
  podmanDir = await mkdtemp(join(bed.dir, 'podman-'));
  await mkdir(join(podmanDir, 'networks'));
  // the host's NOFILE hard limit is below podman's default ulimit
  await writeFile(join(podmanDir, 'containers.conf'), `[containers]\ndefault_ulimits = []\n\n[network]\nnetwork_config_dir = "${join(podmanDir, 'networks')}"\n`);
  env = { ...process.env, CONTAINERS_CONF: join(podmanDir, 'containers.conf') };
  const pulled = await podman(['pull', '-q', '--tls-verify=false', bed.image]);
  expect(pulled.stderr).toBe('');
  expect((await bed.cli(['pull', '-q', bed.image])).code).toBe(0);
  podmanNetwork = `runp${bed.bridge.slice(3)}`;
  // podman 4.3 has no --interface-name: its network file names the bridge (one of this run's own)
  const subnet = `10.252.${randomInt(0, 256)}`;
  await writeFile(join(podmanDir, 'networks', `${podmanNetwork}.json`), JSON.stringify({
    name: podmanNetwork, id: randomBytes(32).toString('hex'), driver: 'bridge', network_interface: podmanNetwork, created: new Date().toISOString(),
    subnets: [{ subnet: `${subnet}.0/24`, gateway: `${subnet}.1` }], ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' },
  }));
});

afterAll(async () => {
  if (podmanDir !== undefined) {
    await podman(['rm', '-af', '-t', '0']);
    await podman(['network', 'rm', '-f', podmanNetwork]);
    await podman(['system', 'reset', '-f']);
    await rm(podmanDir, { recursive: true, force: true });
  }
  await bed?.close();
});

/** Runs `run --rm <args>` in both; returns [podman, shimkit]. */
async function both(args: readonly string[]): Promise<[CliResult, CliResult]> {
  const p = await podman(['run', '--rm', ...args.map((a) => a.replace('IMAGE', bed.image))]);
  const s = await bed.cli(['run', '--rm', ...args.map((a) => a.replace('IMAGE', bed.image))]);
  return [p, s];
}

describe('parity with podman 4.3 (same command, same answer)', () => {
  const cases: [string, string[]][] = [
    ['exit code and both streams', ['--network', 'none', 'IMAGE', 'sh', '-c', 'echo out; echo err >&2; exit 3']],
    ['env from -e', ['--network', 'none', '-e', 'GREETING=hello world', 'IMAGE', 'sh', '-c', 'echo "$GREETING"; echo "$PATH"']],
    ['user and groups', ['--network', 'none', '-u', '1000:1000', 'IMAGE', 'id']],
    ['user by name', ['--network', 'none', '-u', 'nobody', 'IMAGE', 'sh', '-c', 'id -u; id -g']],
    ['workdir', ['--network', 'none', '-w', '/usr', 'IMAGE', 'pwd']],
    ['entrypoint', ['--network', 'none', '--entrypoint', 'echo', 'IMAGE', 'from', 'entrypoint']],
    ['read-only rootfs', ['--network', 'none', '--read-only', 'IMAGE', 'sh', '-c', 'touch /x 2>/dev/null || echo refused; touch /tmp/x && echo tmp-ok']],
    ['default capabilities', ['--network', 'none', 'IMAGE', 'grep', '^Cap', '/proc/self/status']],
    ['a seccomp filter', ['--network', 'none', 'IMAGE', 'grep', '^Seccomp:', '/proc/self/status']],
    ['--cap-drop ALL --cap-add', ['--network', 'none', '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', '--cap-add', 'chown', 'IMAGE', 'grep', '^Cap', '/proc/self/status']],
    ['hostname is the short id', ['--network', 'none', 'IMAGE', 'sh', '-c', 'hostname | wc -c']],
    ['command not found', ['--network', 'none', 'IMAGE', 'no-such-command']],
    ['memory limit', ['--network', 'none', '-m', '64m', 'IMAGE', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes']],
  ];
  for (const [what, args] of cases) {
    it(what, async () => {
      const [p, s] = await both(args);
      expect(s.code).toBe(p.code);
      expect(s.stdout).toBe(p.stdout);
      if (p.code === 0 || p.code === 3) expect(s.stderr).toBe(p.stderr);
    });
  }

  it('bind mounts, read-write and read-only', async () => {
    const host = await mkdtemp(join(bed.dir, 'vol-'));
    await writeFile(join(host, 'in'), 'data\n');
    const [p, s] = await both(['--network', 'none', '-v', `${host}:/rw`, '-v', `${host}:/ro:ro`, 'IMAGE', 'sh', '-c', 'cat /rw/in; echo x > /ro/y 2>/dev/null || echo ro; grep -E " /(rw|ro) " /proc/self/mountinfo | cut -d" " -f5,6 | cut -d, -f1 | sort']);
    expect(s).toEqual(p);
    await rm(host, { recursive: true });
  });

  it('logs after exit, stdout and stderr apart', async () => {
    // the pause keeps the two streams' lines in one order in both logs
    const script = 'echo one; echo two >&2; sleep 0.3; echo three; printf partial';
    const p = await podman(['run', '-d', '--name', 'plog', '--network', 'none', bed.image, 'sh', '-c', script]);
    const s = await bed.cli(['run', '-d', '--name', 'slog', '--network', 'none', bed.image, 'sh', '-c', script]);
    expect([p.code, s.code]).toEqual([0, 0]);
    expect((await bed.cli(['wait', 'slog'])).stdout).toBe((await podman(['wait', 'plog'])).stdout);
    const [pl, sl] = [await podman(['logs', 'plog']), await bed.cli(['logs', 'slog'])];
    expect(sl).toEqual(pl);
    // --tail is not compared: podman 4.3 mixes a partial last line into the lines before it there
    expect((await bed.cli(['logs', '--tail', '2', 'slog'])).stdout).toBe('three\npartial');
    await podman(['rm', 'plog']);
    await bed.cli(['rm', 'slog']);
  });

  it('ports published with -p are reachable from the host', async () => {
    const [pp, sp] = [30_000 + randomInt(0, 10_000), 40_000 + randomInt(0, 10_000)];
    const web = ['sh', '-c', 'mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 80 -h /www'];
    expect((await podman(['run', '-d', '--name', 'pweb', '--network', podmanNetwork, '-p', `127.0.0.1:${pp}:80`, bed.image, ...web])).code).toBe(0);
    expect((await bed.cli(['run', '-d', '--name', 'sweb', '-p', `127.0.0.1:${sp}:80`, bed.image, ...web])).code).toBe(0);
    const get = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).text();
    await vi.waitFor(async () => expect(await get(pp)).toBe('served\n'), { timeout: 10_000, interval: 100 });
    await vi.waitFor(async () => expect(await get(sp)).toBe('served\n'), { timeout: 10_000, interval: 100 });
    expect((await bed.cli(['port', 'sweb'])).stdout).toBe((await podman(['port', 'pweb'])).stdout.replace(String(pp), String(sp)));
    await podman(['rm', '-f', '-t', '0', 'pweb']);
    await bed.cli(['rm', '-f', 'sweb']);
    await expect(get(sp)).rejects.toThrow();
  });

  it('the same image store answers both (pulled once each, same id)', async () => {
    const p = JSON.parse((await podman(['image', 'inspect', bed.image])).stdout) as { Id: string }[];
    const s = (await bed.cli(['images', '--format', 'json'])).stdout;
    expect(JSON.parse(s)).toContainEqual(expect.objectContaining({ Id: p[0]?.Id }));
    expect(existsSync(join(bed.root, 'images', 'store.lock'))).toBe(false); // the store's lock is held only during an operation
  });
});
