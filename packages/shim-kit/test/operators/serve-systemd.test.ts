import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@shimkit/cri-types';
import { HostHelper, type DatagramReceiver } from '@shimkit/host-helper';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

// `shimkit serve` started by systemd's own socket activation tool, which binds the CRI socket
// and passes it as fd 3 with LISTEN_PID/LISTEN_FDS; readiness goes to a notify socket this
// test binds, standing in for systemd's.
let dir: string;
let helper: HostHelper;
let notify: DatagramReceiver;
const children: ChildProcess[] = [];

/** Starts systemd-socket-activate; it binds the sockets now and starts serve on the first connection. */
async function activate(sockets: string[], config: string): Promise<{ child: ChildProcess; log: () => string; exited: Promise<number | null> }> {
  const args = [...sockets.flatMap((s) => ['-l', s]), '-E', `NOTIFY_SOCKET=${notify.path}`, process.execPath, MAIN, 'serve', '--socket', sockets[0]!, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', config];
  const child = spawn('systemd-socket-activate', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await vi.waitFor(() => expect(log.split('Listening on').length).toBe(sockets.length + 1), { timeout: 10_000, interval: 20 });
  return { child, log: () => log, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

beforeAll(() => {
  helper = new HostHelper();
});
afterAll(async () => {
  await helper.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), `shimkit-systemd-${process.pid}-`));
  notify = await helper.receiveDatagrams(join(dir, 'notify.sock'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await notify.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(): Promise<string> {
  const config = join(dir, 'shimkit.json');
  await writeFile(config, JSON.stringify({ logLevel: 'debug', network: { confDir: join(dir, 'no-cni') }, images: { registriesConf: false, certsDir: false } }));
  return config;
}

describe('shimkit serve under systemd', () => {
  it('serves CRI on the socket systemd passed, says READY=1 once serving and STOPPING=1 when told to stop', async () => {
    const socket = join(dir, 'cri.sock');
    const serve = await activate([socket], await writeConfig());
    // the first call starts serve (systemd-socket-activate execs it in its own process), which answers it
    const cri = await connect(`unix://${socket}`, { defaultTimeoutMs: 30_000 });
    const version = cri.runtime.version({});
    expect(await notify.next()).toEqual({ pid: serve.child.pid, data: Buffer.from('READY=1') });
    expect((await version).runtimeName).toBe('shimkit');
    expect(serve.log()).toMatch(/shimkit serving .*activated=true/);
    // kubelet's own client library, through crictl
    const crictl = await promisify(execFile)('crictl', ['--runtime-endpoint', `unix://${socket}`, '--image-endpoint', `unix://${socket}`, '--timeout', '10s', 'version']);
    expect(crictl.stdout).toMatch(/RuntimeName:\s+shimkit/);

    // a client still connected (as kubelet stays) does not hold the shutdown
    serve.child.kill('SIGTERM');
    expect(await notify.next()).toEqual({ pid: serve.child.pid, data: Buffer.from('STOPPING=1') });
    expect(await serve.exited).toBe(0);
    await cri.close();
    // the socket is systemd's: serve leaves it for the next activation
    expect((await stat(socket)).isSocket()).toBe(true);
  });

  it('refuses more than one passed socket with exit 2, naming LISTEN_FDS, and never says READY', async () => {
    const serve = await activate([join(dir, 'a.sock'), join(dir, 'b.sock')], await writeConfig());
    createConnection(join(dir, 'a.sock')).on('error', () => undefined).end();
    expect(await serve.exited).toBe(2);
    expect(serve.log()).toContain('socket activation: serve listens on one socket, systemd passed LISTEN_FDS=2');
    expect(serve.log()).not.toContain('shimkit serving');
    const nothing = await Promise.race([notify.next(), new Promise((resolve) => setTimeout(() => resolve('none'), 200))]);
    expect(nothing).toBe('none');
  });
});
