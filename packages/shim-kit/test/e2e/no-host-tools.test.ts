// A full pod lifecycle through `shimkit serve`, with exec -t, attach and port-forward, traced by
// strace: no program of the kind the host helper replaced (perl, script, stty, nsenter, mknod,
// setfattr) may be executed by the shim or anything it starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type CriClient } from '@shimkit/cri-types';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { forwardWhenUp, RemoteCommandClient, spdySession } from '../../src/streaming/spdy-exec-client.test-helper.js';
import { E2eBed, EMPTY_LEFTOVERS } from './e2e-bed.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const FORBIDDEN = ['perl', 'script', 'stty', 'nsenter', 'mknod', 'setfattr'];

let bed: E2eBed;
/** strace, and the shim it runs (its child) */
let shim: ChildProcess;
let shimPid = 0;
let cri: CriClient;
let trace: string;
beforeAll(async () => {
  bed = await E2eBed.start();
  const config = join(bed.dir, 'shimkit.json');
  trace = join(bed.dir, 'execve.trace');
  await writeFile(config, JSON.stringify(bed.defaults()));
  shim = spawn('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', trace, process.execPath, MAIN, 'serve', '--socket', bed.socket, '--root', bed.root, '--state', bed.state, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  shim.stderr?.on('data', (d: Buffer) => (said += d.toString()));
  await vi.waitFor(() => expect(said).toContain('shimkit serving'), { timeout: 30_000, interval: 50 });
  shimPid = Number((await readFile(`/proc/${shim.pid}/task/${shim.pid}/children`, 'utf8')).trim().split(' ')[0]);
  cri = await connect(`unix://${bed.socket}`, { defaultTimeoutMs: 30_000 });
}, 120_000);
afterAll(async () => {
  await cri?.close();
  // a failed test leaves the shim running: killing strace alone would orphan it
  for (const pid of [shimPid, shim.pid ?? 0]) {
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (shim.exitCode === null && shim.signalCode === null) await new Promise((resolve) => shim.once('exit', resolve));
  try {
    expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  } finally {
    await bed?.destroy();
  }
});

/** Basenames of every program executed under the traced shim (`PID execve("/path", ...`). */
async function executed(): Promise<Set<string>> {
  const text = await readFile(trace, 'utf8');
  return new Set([...text.matchAll(/execve\("([^"]+)"/g)].map((m) => basename(m[1] as string)));
}

it('runs a pod with exec -t, attach and port-forward without perl, script, stty, nsenter, mknod or setfattr', async () => {
  await cri.image.pullImage({ image: { image: bed.images.busybox.reference } });
  const config = bed.pod('traced');
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
  const serve = 'mkdir -p /www && echo traced > /www/index.html && httpd -p 127.0.0.1:8080 -h /www && exec sh';
  const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('main', { command: ['sh', '-c', serve], stdin: true }) });
  await cri.runtime.startContainer({ containerId });

  const hello = await cri.runtime.exec({ containerId, cmd: ['sh', '-c', 'test -t 0 && echo hello'], tty: true, stdin: true, stdout: true });
  const tty = await RemoteCommandClient.open(hello.url, ['stdin', 'stdout', 'resize']);
  try {
    expect(await tty.readAll('stdout')).toContain('hello\r\n');
  } finally {
    tty.close();
  }

  const { url } = await cri.runtime.attach({ containerId, stdin: true, stdout: true });
  const attached = await RemoteCommandClient.open(url, ['stdin', 'stdout']);
  try {
    await attached.write('echo attached\n');
    expect(await attached.readUntil('stdout', 'attached\n')).toBe('attached\n');
  } finally {
    attached.close();
  }

  const forward = await cri.runtime.portForward({ podSandboxId, port: [8080] });
  const client = await spdySession(forward.url, 'portforward.k8s.io');
  try {
    const get = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';
    expect((await forwardWhenUp(client, 8080, get)).data).toContain('traced\n');
  } finally {
    client.close();
  }

  await cri.runtime.stopPodSandbox({ podSandboxId });
  await cri.runtime.removePodSandbox({ podSandboxId });
  // strace ends once everything it traced has ended
  process.kill(shimPid, 'SIGTERM');
  await new Promise((resolve) => shim.once('exit', resolve));

  const programs = await executed();
  // the trace saw the real work (so an empty trace cannot pass)...
  expect([...programs]).toEqual(expect.arrayContaining(['shimkit-helper', 'runc', 'conmon', 'bridge', 'host-local']));
  // ...and none of the tools the helper replaced
  expect([...programs].filter((p) => FORBIDDEN.includes(p))).toEqual([]);
});
