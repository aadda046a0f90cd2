import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI_BIN, createEngineTestBed, type EngineTestBed } from '../../engine/engine-test-bed.test-helper.js';

let bed: EngineTestBed;
beforeAll(async () => {
  bed = await createEngineTestBed();
});
afterAll(async () => {
  await bed?.close();
});

const clean = { containers: [], conmons: [], mounts: [], netns: [], bridgePorts: [], records: [] };

/** Nothing of the bed's containers is left (a removed detached container's conmon ends after its exit command). */
async function expectClean(): Promise<void> {
  await vi.waitFor(async () => expect(await bed.leftovers()).toEqual(clean), { timeout: 10_000, interval: 100 });
}

/** Whether the process has an inotify instance (Node makes one for its first fs.watch). */
async function watchesFiles(pid: number): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return targets.includes('anon_inode:inotify');
}

/** The one line a failed command prints (after podman's "Trying to pull" note), and that it printed nothing else. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('Trying to pull '));
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe('shimkit run in the foreground', () => {
  it('returns the container exit code and relays stdout and stderr apart; --rm leaves nothing', async () => {
    const r = await bed.cli(['run', '--rm', '--network', 'none', bed.image, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'out\n' });
    expect(r.stderr).toContain('err\n');
    await expectClean();
  });

  it('sets env (-e, --env-file), user, workdir and entrypoint', async () => {
    const envFile = join(bed.dir, 'env');
    await writeFile(envFile, '# comment\nFROM_FILE=file value\n\nOVERRIDDEN=file\n');
    const r = await bed.cli([
      'run', '--rm', '--network', 'none', '--env-file', envFile, '-e', 'A=1', '-e', 'OVERRIDDEN=flag', '-u', '1000:1001', '-w', '/tmp', '--entrypoint', 'sh', bed.image,
      '-c', 'echo "$A|$FROM_FILE|$OVERRIDDEN"; id -u; id -g; pwd',
    ]);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: '1|file value|flag\n1000\n1001\n/tmp\n' });
  });

  it('bind-mounts volumes read-write and read-only, and makes the root read-only with --read-only (tmpfs /tmp stays writable)', async () => {
    const host = await mkdtemp(join(bed.dir, 'vol-'));
    await writeFile(join(host, 'in'), 'from host');
    const r = await bed.cli([
      'run', '--rm', '--network', 'none', '--read-only', '-v', `${host}:/data`, '-v', `${host}:/ro:ro`, bed.image, 'sh', '-c',
      'cat /data/in; echo; echo written > /data/out; echo x > /ro/no 2>/dev/null || echo ro-refused; touch /rootfile 2>/dev/null || echo root-refused; touch /tmp/ok && echo tmp-ok',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'from host\nro-refused\nroot-refused\ntmp-ok\n' });
    expect(await readFile(join(host, 'out'), 'utf8')).toBe('written\n');
    await rm(host, { recursive: true });
  });

  it("gives podman's capabilities, changed by --cap-add and --cap-drop", async () => {
    const capEff = async (...flags: string[]): Promise<string> => {
      const r = await bed.cli(['run', '--rm', '--network', 'none', ...flags, bed.image, 'sh', '-c', 'grep CapEff /proc/self/status']);
      expect(r.code).toBe(0);
      return r.stdout.trim().split(/\s+/)[1] as string;
    };
    expect(await capEff()).toBe('00000000a80425fb'); // podman 4.3's: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
    expect(await capEff('--cap-drop', 'ALL')).toBe('0000000000000000');
    expect(await capEff('--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN')).toBe('0000000000001000');
  });

  it('feeds stdin with -i', async () => {
    const r = await bed.cli(['run', '--rm', '-i', '--network', 'none', bed.image, 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'line one\nline two\ndone\n' });
  });

  it('says 127 for a command that is not in the image, and leaves nothing behind', async () => {
    const r = await bed.cli(['run', '--rm', '--network', 'none', bed.image, 'no-such-command']);
    expect(r.code).toBe(127);
    expect(oneLine(r.stderr)).toMatch(/no-such-command/);
    await expectClean();
  });

  it('forwards SIGINT to the container, returns its exit code and removes it with --rm', async () => {
    const child = spawn(CLI_BIN, [...bed.flags, 'run', '--rm', '--network', 'none', bed.image, 'sh', '-c', 'trap "echo got-int; exit 9" INT; echo ready; while :; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await vi.waitFor(() => expect(out).toContain('ready'), { timeout: 20_000, interval: 50 });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(9);
    expect(out).toContain('got-int');
    await expectClean();
  });

  it('stops the container and removes it with --rm when its reader goes away (a closed pipe, as `| head -1`)', async () => {
    const child = spawn(CLI_BIN, [...bed.flags, 'run', '--rm', '--network', 'none', bed.image, 'sh', '-c', 'echo ready; while :; do echo more; sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise((r) => child.stdout.once('data', r));
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, err).toBe(137); // sh as pid 1 ignores the SIGTERM: killed after the grace
    expect(err).not.toMatch(/EPIPE|Error/);
    await expectClean();
  });

  it('--rm runs without conmon, and ps, logs, exec, kill and wait of other commands find it while it runs', async () => {
    const script = 'trap "echo got-usr1" USR1; echo started; printf partial >&2; while [ ! -e /tmp/stop ]; do sleep 0.1; done; exit 7';
    const child = spawn(CLI_BIN, [...bed.flags, 'run', '--rm', '--name', 'fg', '--network', 'none', bed.image, 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await vi.waitFor(() => expect(out).toBe('started\n'), { timeout: 20_000, interval: 50 });
    expect((await bed.leftovers()).conmons).toEqual([]);
    expect((await bed.cli(['ps'])).stdout).toMatch(/ Up .* fg$/m);
    await vi.waitFor(async () => expect(await bed.cli(['logs', 'fg'])).toMatchObject({ stdout: 'started\n', stderr: 'partial' }), { timeout: 10_000, interval: 100 });
    expect((await bed.cli(['kill', '-s', 'USR1', 'fg'])).code).toBe(0);
    await vi.waitFor(() => expect(out).toBe('started\ngot-usr1\n'), { timeout: 10_000, interval: 50 });
    const waiter = spawn(CLI_BIN, [...bed.flags, 'wait', 'fg'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const waiterExited = new Promise<number | null>((r) => waiter.once('exit', r));
    let waited = '';
    waiter.stdout.on('data', (c: Buffer) => (waited += c.toString()));
    // it waits once it watches the exit dir
    await vi.waitFor(async () => expect(await watchesFiles(waiter.pid ?? 0)).toBe(true), { timeout: 20_000, interval: 50 });
    expect((await bed.cli(['exec', 'fg', 'touch', '/tmp/stop'])).code).toBe(0);
    expect(await exited).toBe(7);
    expect(await waiterExited).toBe(0);
    expect(waited).toBe('7\n');
    await expectClean();
  }, 60_000);

  it('gives -t a real terminal that follows resizes', async () => {
    const { HostHelper } = await import('@shimkit/host-helper');
    const helper = new HostHelper();
    try {
      const job = await helper.terminal({ argv: [CLI_BIN, ...bed.flags, 'run', '--rm', '-it', '--network', 'none', bed.image, 'sh'], rows: 33, cols: 111 });
      let out = '';
      job.terminal.on('data', (c: Buffer) => (out += c.toString()));
      job.terminal.on('error', () => undefined);
      await vi.waitFor(() => expect(out).toContain('#'), { timeout: 20_000, interval: 50 });
      job.terminal.write('stty size; tty\r');
      await vi.waitFor(() => expect(out).toMatch(/33 111\r?\r\n\/dev\/pts\/\d+/), { timeout: 10_000, interval: 50 });
      await job.resize(40, 120);
      await new Promise((r) => setTimeout(r, 300));
      job.terminal.write('stty size; exit 5\r');
      const result = await job.exited;
      expect(out).toContain('40 120');
      expect(result.exitCode).toBe(5);
    } finally {
      await helper.close();
    }
    await expectClean();
  });
});

describe('detached containers', () => {
  it('keep running after the CLI exits; ps, logs, exec, stop, wait, inspect and rm find them', async () => {
    const run = await bed.cli(['run', '-d', '--name', 'sleeper', bed.image, 'sh', '-c', 'echo hello; echo oops >&2; sleep 300']);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await bed.cli(['ps']);
    expect(ps.stdout).toMatch(new RegExp(`^${id.slice(0, 12)} .* Up .* sleeper$`, 'm'));
    expect((await bed.cli(['ps', '-q'])).stdout).toBe(`${id.slice(0, 12)}\n`);
    await vi.waitFor(async () => expect((await bed.cli(['logs', 'sleeper'])).stdout).toBe('hello\n'), { timeout: 10_000 });
    expect((await bed.cli(['logs', 'sleeper'])).stderr).toBe('oops\n');
    const exec = await bed.cli(['exec', 'sleeper', 'sh', '-c', 'cat /etc/hostname; exit 4']);
    expect(exec).toMatchObject({ code: 4, stdout: `${id.slice(0, 12)}\n` });
    const inspect = JSON.parse((await bed.cli(['inspect', 'sleeper'])).stdout) as { Id: string; State: { Running: boolean }; NetworkSettings: { IPAddress: string } }[];
    expect(inspect[0]).toMatchObject({ Id: id, State: { Running: true } });
    expect(inspect[0]?.NetworkSettings.IPAddress).toMatch(new RegExp(`^${bed.subnet.split('.').slice(0, 3).join('\\.')}\\.`));
    // sh as pid 1 ignores SIGTERM: killed after the timeout
    expect(await bed.cli(['stop', '-t', '1', 'sleeper'])).toMatchObject({ code: 0, stdout: 'sleeper\n' });
    expect((await bed.cli(['wait', id.slice(0, 12)])).stdout).toBe('137\n');
    expect((await bed.cli(['ps', '-a'])).stdout).toMatch(/Exited \(137\).*sleeper/);
    expect((await bed.leftovers()).netns).toEqual([]); // the network is released at exit
    expect((await bed.cli(['rm', 'sleeper'])).code).toBe(0);
    await expectClean();
  });

  it('logs -f follows until the exit, --tail cuts, kill -s signals, attach relays, stats reads the cgroup', async () => {
    const run = await bed.cli(['run', '-d', '--name', 'talker', '--network', 'none', bed.image, 'sh', '-c', 'trap "echo got-usr1" USR1; for i in 1 2 3; do echo line $i; done; while [ ! -e /tmp/stop ]; do if [ -e /tmp/ping ]; then rm /tmp/ping; echo ping; fi; sleep 0.1; done; echo bye']);
    expect(run.code).toBe(0);
    const stats = JSON.parse((await bed.cli(['stats', '--format', 'json', 'talker'])).stdout) as { name: string; pids: number; memoryBytes: number }[];
    expect(stats[0]).toMatchObject({ name: 'talker' });
    expect(stats[0]?.pids).toBeGreaterThanOrEqual(1);
    expect(stats[0]?.memoryBytes).toBeGreaterThan(0);
    const attached = spawn(CLI_BIN, [...bed.flags, 'attach', '--no-stdin', 'talker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const attachExit = new Promise((r) => attached.once('exit', r));
    let seen = '';
    attached.stdout.on('data', (c: Buffer) => (seen += c.toString()));
    const follow = bed.cli(['logs', '-f', 'talker']);
    // the trap is set once the lines are out; attach sees only what comes after it connected, so ping until it sees that
    await vi.waitFor(async () => expect((await bed.cli(['logs', 'talker'])).stdout).toContain('line 3'), { timeout: 20_000, interval: 200 });
    await vi.waitFor(async () => {
      if (!seen.includes('ping')) await bed.cli(['exec', 'talker', 'touch', '/tmp/ping']);
      expect(seen).toContain('ping');
    }, { timeout: 20_000, interval: 300 });
    expect((await bed.cli(['kill', '-s', 'USR1', 'talker'])).code).toBe(0);
    await vi.waitFor(async () => expect((await bed.cli(['logs', '--tail', '1', 'talker'])).stdout).toBe('got-usr1\n'), { timeout: 10_000, interval: 100 });
    expect((await bed.cli(['exec', 'talker', 'touch', '/tmp/stop'])).code).toBe(0);
    expect((await follow).stdout).toMatch(/^line 1\nline 2\nline 3\n(ping\n)+got-usr1\nbye\n$/);
    expect(await attachExit).toBe(0);
    expect(seen).toMatch(/^(ping\n)+got-usr1\nbye\n$/);
    expect((await bed.cli(['kill', 'talker'])).stderr).toMatch(/container talker is not running/);
    expect((await bed.cli(['rm', 'talker'])).code).toBe(0);
    await expectClean();
  }, 120_000);

  it('with --rm are removed by the exit command conmon runs', async () => {
    const run = await bed.cli(['run', '-d', '--rm', bed.image, 'sh', '-c', 'sleep 0.2']);
    expect(run.code).toBe(0);
    await vi.waitFor(async () => expect(await bed.leftovers()).toEqual(clean), { timeout: 20_000, interval: 200 });
  });

  it('publish ports reachable from the host (-p), and are started again after stop', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const run = await bed.cli(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, bed.image, 'sh', '-c', 'mkdir -p /www && echo hi-from-web > /www/index.html && exec httpd -f -p 80 -h /www']);
    expect(run.code).toBe(0);
    const get = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).text();
    await vi.waitFor(async () => expect(await get()).toBe('hi-from-web\n'), { timeout: 10_000, interval: 100 });
    expect((await bed.cli(['port', 'web'])).stdout).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
    expect((await bed.cli(['stop', '-t', '0', 'web'])).code).toBe(0);
    await expect(get()).rejects.toThrow();
    expect((await bed.cli(['start', 'web'])).code).toBe(0);
    await vi.waitFor(async () => expect(await get()).toBe('hi-from-web\n'), { timeout: 10_000, interval: 100 });
    expect((await bed.cli(['rm', '-f', 'web'])).code).toBe(0);
    await expectClean();
  });

  it('are created safely by concurrent commands (one lock)', async () => {
    const runs = await Promise.all([1, 2, 3].map((n) => bed.cli(['run', '-d', '--name', `c${n}`, '--network', 'none', bed.image, 'sleep', '300'])));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect((await bed.cli(['ps', '--format', 'json'])).stdout).toContain('"c3"');
    const rm = await Promise.all([1, 2, 3].map((n) => bed.cli(['rm', '-f', `c${n}`])));
    expect(rm.map((r) => r.code)).toEqual([0, 0, 0]);
    await expectClean();
  });
});

describe('bad input: one line, a non-zero exit code, nothing left behind', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown image', ['run', '--rm', '--network', 'none', 'IMAGE-nope', 'true'], /image not known|not found/],
    ['a port out of range', ['run', '--rm', '-p', '99999:80', 'IMAGE', 'true'], /invalid port mapping "99999:80": host port "99999"/],
    ['a port that is no number', ['run', '--rm', '-p', 'http', 'IMAGE', 'true'], /invalid port mapping "http"/],
    ['a relative volume', ['run', '--rm', '-v', 'data:/data', 'IMAGE', 'true'], /invalid volume "data:\/data": host path "data" is not absolute/],
    ['a volume whose host path is missing', ['run', '--rm', '--network', 'none', '-v', '/nonexistent-run-vol:/data', 'IMAGE', 'true'], /\/nonexistent-run-vol does not exist/],
    ['a bad volume option', ['run', '--rm', '-v', '/tmp:/data:rx', 'IMAGE', 'true'], /unknown option "rx"/],
    ['an unknown capability', ['run', '--rm', '--network', 'none', '--cap-add', 'FLY', 'IMAGE', 'true'], /unknown capability "FLY"/],
    ['a bad memory limit', ['run', '--rm', '-m', 'lots', 'IMAGE', 'true'], /invalid memory limit "lots"/],
    ['an unknown user', ['run', '--rm', '--network', 'none', '-u', 'nobody-here', 'IMAGE', 'true'], /nobody-here/],
    ['a missing image argument', ['run', '--rm'], /missing required argument 'image'/],
    ['an unknown container', ['logs', 'no-such-container'], /no container with name or ID "no-such-container" found/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}`, async () => {
      const r = await bed.cli(args.map((a) => a.replace('IMAGE', bed.image)));
      expect(r.code).toBe(125);
      expect(oneLine(r.stderr)).toMatch(message);
      await expectClean();
    });
  }

  it('a name in use', async () => {
    expect((await bed.cli(['run', '-d', '--name', 'taken', '--network', 'none', bed.image, 'sleep', '300'])).code).toBe(0);
    const r = await bed.cli(['run', '--rm', '--name', 'taken', bed.image, 'true']);
    expect(r.code).toBe(125);
    expect(oneLine(r.stderr)).toMatch(/the container name "taken" is already in use/);
    expect((await bed.leftovers()).records).toHaveLength(1);
    expect((await bed.cli(['rm', 'taken'])).stderr).toMatch(/is running: stop it first or use --force/);
    expect((await bed.cli(['rm', '-f', 'taken'])).code).toBe(0);
    await expectClean();
  });
});

describe('images', () => {
  it('pull, images and rmi (refused while a container uses the image unless -f)', async () => {
    expect((await bed.cli(['pull', '-q', bed.fixture.images.pause.reference])).stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const images = (await bed.cli(['images'])).stdout;
    expect(images).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
    expect(images).toContain(bed.fixture.images.pause.repository);
    expect((await bed.cli(['create', '--name', 'user', '--network', 'none', bed.fixture.images.pause.reference])).code).toBe(0);
    const refused = await bed.cli(['rmi', bed.fixture.images.pause.reference]);
    expect(refused.code).toBe(125);
    expect(oneLine(refused.stderr)).toMatch(/in use by container user/);
    expect((await bed.cli(['rmi', '-f', bed.fixture.images.pause.reference])).code).toBe(0);
    expect((await bed.cli(['images'])).stdout).not.toContain(bed.fixture.images.pause.repository);
    await expectClean();
  });
});
