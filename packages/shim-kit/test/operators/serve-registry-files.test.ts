import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type CriClient } from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRegistryFixture, type RegistryFixture } from '../../src/modules/images/registry-fixture.test-helper.js';
import { HeldProxy } from './held-proxy.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

// `shimkit serve` as a real process, with registries known only to containerd's hosts.toml
// and to a registries.conf, all of them the test-bed's docker-registry on 127.0.0.1.
let fixture: RegistryFixture;
let dir: string;
let serve: ChildProcess;
let log = '';
let cri: CriClient;
let proxy: HeldProxy;

const hostsDir = () => join(dir, 'certs.d');
const registriesConf = () => join(dir, 'registries.conf');
async function writeHostsToml(registry: string, server: string): Promise<void> {
  await mkdir(join(hostsDir(), registry), { recursive: true });
  await writeFile(join(hostsDir(), registry, 'hosts.toml'), `server = "http://${server}"\n`);
}
const pull = (image: string) => cri.image.pullImage({ image: { image } });
async function hangUpAndWaitFor(line: string): Promise<void> {
  const seen = log.split(line).length;
  serve.kill('SIGHUP');
  await vi.waitFor(() => expect(log.split(line).length).toBeGreaterThan(seen), { timeout: 10_000, interval: 20 });
}

beforeAll(async () => {
  fixture = await startRegistryFixture();
  dir = await mkdtemp(join(tmpdir(), `shimkit-operators-${process.pid}-`));
  const [host, port] = fixture.registry.host.split(':') as [string, string];
  proxy = await HeldProxy.start({ host, port: Number(port) });
  await writeHostsToml('hosts.test', fixture.registry.host);
  await writeHostsToml('held.test', proxy.host);
  await writeFile(registriesConf(), `[[registry]]\nprefix = "conf.test"\nlocation = "${fixture.registry.host}"\n`);
  const config = join(dir, 'shimkit.json');
  await writeFile(config, JSON.stringify({
    logLevel: 'debug',
    network: { confDir: join(dir, 'no-cni') },
    images: { registry: { configPath: hostsDir() }, registriesConf: registriesConf(), certsDir: false },
  }));
  const socket = join(dir, 'cri.sock');
  serve = spawn(process.execPath, [MAIN, 'serve', '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  serve.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await vi.waitFor(() => expect(log).toContain('shimkit serving'), { timeout: 20_000, interval: 50 });
  cri = await connect(`unix://${socket}`, { defaultTimeoutMs: 30_000 });
});
afterAll(async () => {
  await cri?.close();
  if (serve?.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
  }
  await proxy?.close();
  await fixture?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('shimkit serve with operators\' registry files', () => {
  it('pulls from a registry configured only by hosts.toml, and one configured only by registries.conf', async () => {
    expect((await pull('hosts.test/busybox:latest')).imageRef).toBe(fixture.images.busybox.configDigest);
    expect((await pull('conf.test/pause:latest')).imageRef).toBe(fixture.images.pause.configDigest);
    const status = await cri.image.imageStatus({ image: { image: 'hosts.test/busybox:latest' } });
    expect(status.image?.repoTags).toEqual(['hosts.test/busybox:latest']);
  });

  it('SIGHUP: a bad new file is logged and the configuration in use stays', async () => {
    await writeFile(join(hostsDir(), 'hosts.test', 'hosts.toml'), 'server = [broken');
    await hangUpAndWaitFor('registry configuration not reloaded; the one in use stays');
    expect(log).toContain(`${join(hostsDir(), 'hosts.test', 'hosts.toml')}: not valid TOML`);
    expect((await pull('hosts.test/pause:latest')).imageRef).toBe(fixture.images.pause.configDigest);
    await writeHostsToml('hosts.test', fixture.registry.host);
  });

  it('SIGHUP swaps the configuration: a pull in flight finishes with the old one, later pulls use the new one', async () => {
    const inFlight = pull('held.test/busybox:latest');
    await vi.waitFor(() => expect(proxy.connections).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
    // held.test leaves hosts.toml and is blocked by registries.conf; conf.test moves to new.test
    await rm(join(hostsDir(), 'held.test'), { recursive: true });
    await writeFile(registriesConf(), `[[registry]]\nprefix = "new.test"\nlocation = "${fixture.registry.host}"\n\n[[registry]]\nlocation = "held.test"\nblocked = true\n\n[[registry]]\nlocation = "conf.test"\nblocked = true\n`);
    await hangUpAndWaitFor('registry configuration reloaded');
    proxy.release();
    expect((await inFlight).imageRef).toBe(fixture.images.busybox.configDigest);
    expect((await pull('new.test/busybox:latest')).imageRef).toBe(fixture.images.busybox.configDigest);
    await expect(pull('held.test/pause:latest')).rejects.toMatchObject({ code: 'PermissionDenied', message: expect.stringContaining('registry held.test is blocked') });
    await expect(pull('conf.test/busybox:latest')).rejects.toMatchObject({ code: 'PermissionDenied' });
    expect(serve.exitCode).toBeNull();
  });
});
