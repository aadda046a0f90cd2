import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostHelper } from './host-helper.js';

const dir = mkdtempSync(join(tmpdir(), 'helper-streams-test-'));
const helper = new HostHelper();
afterAll(async () => {
  await helper.close();
  rmSync(dir, { recursive: true, force: true });
});

function readAll(socket: Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(text));
    socket.once('error', reject);
  });
}

describe('HostHelper.connect', () => {
  const netns = join(dir, 'net');
  let server: ReturnType<typeof spawn>;

  beforeAll(async () => {
    writeFileSync(netns, '');
    await helper.pinNamespaces({ net: netns });
    execFileSync('nsenter', [`--net=${netns}`, 'ip', 'link', 'set', 'lo', 'up']);
    // an upper-casing echo server on 127.0.0.1:7070 inside the namespace (test fixture only)
    const echoServer = fileURLToPath(new URL('./upper-echo-server.test-helper.ts', import.meta.url));
    server = spawn('nsenter', [`--net=${netns}`, process.execPath, '--import', 'tsx', echoServer, '7070'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => server.stdout?.once('data', resolve));
  });
  afterAll(async () => {
    server.kill('SIGKILL');
    await helper.unmount(netns);
  });

  it('connects inside the network namespace and relays both ways, with half-close', async () => {
    const socket = await helper.connect(netns, '127.0.0.1', 7070);
    const reply = readAll(socket);
    socket.end('hello from the host');
    expect(await reply).toBe('HELLO FROM THE HOST');
  });

  it('relays a megabyte each way', async () => {
    const socket = await helper.connect(netns, '127.0.0.1', 7070);
    const reply = readAll(socket);
    socket.end('x'.repeat(1 << 20));
    expect(await reply).toBe('X'.repeat(1 << 20));
  });

  it('answers a refused connection with its errno and host:port, and a bad namespace by its path', async () => {
    await expect(helper.connect(netns, '127.0.0.1', 7071)).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('127.0.0.1:7071') });
    await expect(helper.connect(join(dir, 'missing'), '127.0.0.1', 7070)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(join(dir, 'missing')) });
    await expect(helper.connect(netns, 'not-an-address', 7070)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('the host namespace is not the pod one: nothing listens there on that port', async () => {
    const host: Server = createServer();
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const port = (host.address() as { port: number }).port;
    host.close();
    await expect(helper.connect(netns, '127.0.0.1', port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an abort before the connection is made rejects with its reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(helper.connect(netns, '127.0.0.1', 7070, controller.signal)).rejects.toThrow('gone');
  });
});

describe('HostHelper.connectSeqpacket', () => {
  it('names the socket it could not reach', async () => {
    const path = join(dir, 'x'.repeat(120), 'attach');
    await expect(helper.connectSeqpacket(path)).rejects.toMatchObject({ message: expect.stringContaining(path) });
    await expect(helper.connectSeqpacket(join(dir, 'attach'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('HostHelper.terminal', () => {
  it('runs a program on a raw terminal of the size asked, relays it, and reports its exit', async () => {
    const job = await helper.terminal({ argv: ['sh', '-c', 'stty size; tty; test -t 0 && echo interactive; exit 7'], rows: 33, cols: 101 });
    const output = readAll(job.terminal);
    expect(await job.exited).toMatchObject({ exitCode: 7, signal: null });
    const lines = (await output).split('\n');
    expect(lines[0]).toBe('33 101');
    expect(lines[1]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(lines[2]).toBe('interactive');
  });

  it('takes keystrokes without echoing them, and resizes (the program gets SIGWINCH)', async () => {
    const job = await helper.terminal({ argv: ['sh', '-c', 'trap "stty size" WINCH; echo ready; read line; echo "read $line"; while :; do sleep 0.05; done'] });
    let seen = '';
    job.terminal.setEncoding('utf8');
    job.terminal.on('data', (d: string) => (seen += d));
    await expect.poll(() => seen).toContain('ready');
    job.terminal.write('typed\n');
    await expect.poll(() => seen).toContain('read typed');
    expect(seen.match(/typed/g)).toHaveLength(1); // raw: no echo
    await job.resize(40, 120);
    await expect.poll(() => seen).toContain('40 120');
    job.kill();
    expect(await job.exited).toMatchObject({ signal: 'SIGKILL' });
  });

  it('hangs up the terminal when the helper is closed', async () => {
    const own = new HostHelper();
    const job = await own.terminal({ argv: ['sh', '-c', 'while :; do sleep 0.05; done'] });
    await own.close();
    expect(await job.exited).toMatchObject({ signal: 'SIGHUP' });
  });

  it('rejects a program that cannot start, naming it', async () => {
    await expect(helper.terminal({ argv: ['/nonexistent/shell'] })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('/nonexistent/shell') });
  });
});

describe('HostHelper.consoleTerminal', () => {
  // The way a terminal is handed over is covered with real runc by shim-kit's runc backend tests.
  it('rejects with the runtime\'s stderr when it exits without handing over a terminal, and removes the socket', async () => {
    const socket = join(dir, 'console-1.sock');
    const runtime = helper.consoleTerminal({ argv: ['sh', '-c', 'echo container not running >&2; exit 3'], socket, pidFile: join(dir, 'pid-1') });
    await expect(runtime).rejects.toMatchObject({ message: 'the runtime exited with 3 before it handed over a terminal: container not running\n' });
    expect(existsSync(socket)).toBe(false);
  });

  it('refuses a socket path too long for a unix socket, and a runtime that cannot start', async () => {
    const long = join(dir, 'x'.repeat(120));
    await expect(helper.consoleTerminal({ argv: ['true'], socket: long, pidFile: join(dir, 'pid-2') })).rejects.toMatchObject({ code: 'ENAMETOOLONG', message: expect.stringContaining(long) });
    const socket = join(dir, 'console-3.sock');
    await expect(helper.consoleTerminal({ argv: ['/nonexistent/runc'], socket, pidFile: join(dir, 'pid-3') })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('/nonexistent/runc') });
    expect(existsSync(socket)).toBe(false);
  });
});
