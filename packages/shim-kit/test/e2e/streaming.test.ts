import { createServer, type AddressInfo } from 'node:net';
import { ContainerState, type CriClient } from '@shimkit/cri-types';
import { describe, expect, it, vi } from 'vitest';
import { forwardOnce, forwardWhenUp, openStream, RemoteCommandClient, runExec, spdySession, upgradeStatus } from '../../src/streaming/spdy-exec-client.test-helper.js';
import { ChannelTestClient } from '../../src/streaming/websocket/websocket-test-client.test-helper.js';
import { removePodsAfterEach, useE2eShim, type E2eBed } from './e2e-bed.js';

let bed: E2eBed;
let cri: CriClient;
const pods: string[] = [];
useE2eShim((world) => ({ bed, cri } = world));
removePodsAfterEach(pods, () => cri);

/** A pod running `container`; stopped and removed after the test. */
async function runPod(name: string, container = bed.container('main')): Promise<{ podSandboxId: string; containerId: string }> {
  const config = bed.pod(name);
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
  pods.push(podSandboxId);
  const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: container });
  await cri.runtime.startContainer({ containerId });
  return { podSandboxId, containerId };
}

/** Waits (at most 5 s) until the container exited with `exitCode`. */
async function exitsWith(containerId: string, exitCode: number): Promise<void> {
  await vi.waitFor(async () => expect((await cri.runtime.containerStatus({ containerId })).status).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode }), { timeout: 5000, interval: 100 });
}

describe('streaming RPCs on the default modules (real runc) over gRPC', () => {
  it('Exec runs `runc exec` with stdin, stdout and stderr through a single-use URL and reports the exit status', async () => {
    const pod = await runPod('exec');
    const { url } = await cri.runtime.exec({ containerId: pod.containerId, cmd: ['sh', '-c', 'cat; echo err >&2; exit 3'], stdin: true, stdout: true, stderr: true });
    const outcome = await runExec(url, { stdin: 'bytes from stdin\n' });
    expect(outcome.stdout).toBe('bytes from stdin\n');
    expect(outcome.stderr).toBe('err\n');
    expect(outcome.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    expect(await upgradeStatus(url)).toBe(404);

    const ok = await cri.runtime.exec({ containerId: pod.containerId, cmd: ['cat', '/etc/hostname'], stdout: true });
    expect(await runExec(ok.url, { stderr: false })).toMatchObject({ stdout: 'exec\n', status: { status: 'Success' } });
    await expect(cri.runtime.exec({ containerId: 'nope', cmd: ['true'], stdout: true })).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('Exec kills the command in the container when the client goes away', async () => {
    const pod = await runPod('exec-gone');
    const { url } = await cri.runtime.exec({ containerId: pod.containerId, cmd: ['sleep', '4242'], stdout: true });
    const client = await spdySession(url);
    await client.send(openStream(1, { streamtype: 'error' }), openStream(3, { streamtype: 'stdout' }));
    const ps = async (): Promise<string> => Buffer.from((await cri.runtime.execSync({ containerId: pod.containerId, cmd: ['ps'], timeout: 10n })).stdout).toString();
    for (let i = 0; i < 50 && !(await ps()).includes('sleep 4242'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ps()).toContain('sleep 4242');
    client.close();
    for (let i = 0; i < 50 && (await ps()).includes('sleep 4242'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ps()).not.toContain('sleep 4242');
  });

  it('PortForward reaches 127.0.0.1:<port> inside the pod\'s network namespace (busybox httpd)', async () => {
    const serve = 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www';
    const pod = await runPod('pf', bed.container('web', { command: ['sh', '-c', serve] }));
    const { url } = await cri.runtime.portForward({ podSandboxId: pod.podSandboxId, port: [8080] });
    const client = await spdySession(url, 'portforward.k8s.io');
    try {
      const get = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';
      const outcome = await forwardWhenUp(client, 8080, get);
      expect(outcome.error).toBe('');
      expect(outcome.data).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
      expect(outcome.data).toContain('hello-from-pod\n');
      // the pod's 127.0.0.1 is not the host's: a port listening on the host is refused in the pod
      const host = createServer((socket) => socket.end('host'));
      await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
      try {
        const hostPort = (host.address() as AddressInfo).port;
        const refused = await forwardOnce(client, { port: hostPort, requestId: 100, firstStreamId: 201, payload: get });
        expect(refused).toMatchObject({ data: '' });
        expect(refused.error).toMatch(new RegExp(`error forwarding port ${hostPort} .*ECONNREFUSED`));
      } finally {
        await new Promise((r) => host.close(r));
      }
    } finally {
      client.close();
    }
    await expect(cri.runtime.portForward({ podSandboxId: 'nope' })).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('Exec with a tty runs the command on a terminal: CRLF output, exit status, resize reaches the container\'s terminal', async () => {
    const pod = await runPod('exec-tty');
    // What critest checks: a tty exec of `echo hello` prints exactly hello CR LF, every time.
    const outputs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const hello = await cri.runtime.exec({ containerId: pod.containerId, cmd: ['echo', 'hello'], tty: true, stdin: true, stdout: true });
      const session = await RemoteCommandClient.open(hello.url, ['stdin', 'stdout', 'resize']);
      try {
        outputs.push(await session.readAll('stdout'));
        expect(await session.status()).toEqual({ metadata: {}, status: 'Success' });
      } finally {
        session.close();
      }
    }
    expect(outputs).toEqual(Array(5).fill('hello\r\n'));

    const shell = await cri.runtime.exec({ containerId: pod.containerId, cmd: ['sh', '-c', 'test -t 0 && while read line; do [ "$line" = bye ] && exit 7; stty size; done'], tty: true, stdin: true, stdout: true });
    const tty = await RemoteCommandClient.open(shell.url, ['stdin', 'stdout', 'resize']);
    try {
      await tty.resize(101, 33);
      // the size reaches the terminal asynchronously (stty, then runc's SIGWINCH): ask until it shows
      expect(await tty.askUntil('\n', 'stdout', '33 101')).toContain('33 101\r\n');
      await tty.write('bye\n');
      await tty.readAll('stdout');
      expect(await tty.status()).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
    } finally {
      tty.close();
    }
  });

  it('Attach relays stdin, stdout and stderr of a running container; closing stdin detaches, unless the container has stdin_once', async () => {
    const pod = await runPod('attach', bed.container('shell', { command: ['sh'], stdin: true }));
    const { url } = await cri.runtime.attach({ containerId: pod.containerId, stdin: true, stdout: true, stderr: true });
    const session = await RemoteCommandClient.open(url, ['stdin', 'stdout', 'stderr']);
    try {
      await session.write('echo hello\n');
      expect(await session.readUntil('stdout', 'hello\n')).toBe('hello\n');
      await session.write('echo oops >&2\n');
      expect(await session.readUntil('stderr', 'oops\n')).toBe('oops\n');
      await session.write('', true);
      expect(await session.status()).toEqual({ metadata: {}, status: 'Success' });
    } finally {
      session.close();
    }
    // detached: the shell still runs and its output went to the log as well
    expect((await cri.runtime.containerStatus({ containerId: pod.containerId })).status?.state).toBe(ContainerState.CONTAINER_RUNNING);
    const again = await cri.runtime.attach({ containerId: pod.containerId, stdin: true, stdout: true });
    const second = await RemoteCommandClient.open(again.url, ['stdin', 'stdout']);
    try {
      await second.write('echo again\n');
      expect(await second.readUntil('stdout', 'again\n')).toBe('again\n');
    } finally {
      second.close();
    }

    const once = await runPod('attach-once', bed.container('cat', { command: ['cat'], stdin: true, stdinOnce: true }));
    const onceAttach = await cri.runtime.attach({ containerId: once.containerId, stdin: true, stdout: true });
    const onceSession = await RemoteCommandClient.open(onceAttach.url, ['stdin', 'stdout']);
    try {
      await onceSession.write('ping\n', true);
      expect(await onceSession.readAll('stdout')).toBe('ping\n');
      expect(await onceSession.status()).toEqual({ metadata: {}, status: 'Success' });
    } finally {
      onceSession.close();
    }
    // conmon closed cat's stdin: cat ended
    await exitsWith(once.containerId, 0);
  });

  it('Attach to a tty container: one output stream, resize through conmon, the session ends when the container exits', async () => {
    const pod = await runPod('attach-tty', bed.container('tty', { command: ['sh'], stdin: true, tty: true }));
    const { url } = await cri.runtime.attach({ containerId: pod.containerId, stdin: true, stdout: true, tty: true });
    const session = await RemoteCommandClient.open(url, ['stdin', 'stdout', 'resize']);
    try {
      await session.resize(88, 21);
      expect(await session.askUntil('stty size\n', 'stdout', '21 88')).toContain('21 88\r\n');
      await session.write('exit 3\n');
      await session.readAll('stdout');
      expect(await session.status()).toEqual({ metadata: {}, status: 'Success' });
    } finally {
      session.close();
    }
    await exitsWith(pod.containerId, 3);
  });

  it('Attach refuses what cannot work, with the code kubelet expects', async () => {
    const pod = await runPod('attach-bad');
    const { containerId } = pod;
    await expect(cri.runtime.attach({ containerId: 'nope', stdout: true })).rejects.toMatchObject({ code: 'NotFound' });
    await expect(cri.runtime.attach({ containerId, stdin: true, stdout: true })).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringContaining('not created with stdin') });
    await expect(cri.runtime.attach({ containerId, stdout: true, tty: true })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('tty') });
    await expect(cri.runtime.attach({ containerId })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await cri.runtime.stopContainer({ containerId, timeout: 0n });
    await expect(cri.runtime.attach({ containerId, stdout: true })).rejects.toMatchObject({ code: 'FailedPrecondition' });
  });

  it('serves the same requests over WebSocket (kubelet\'s channel protocols): exec with v5 and a tty, attach, port forward', async () => {
    const serve = 'mkdir -p /www && echo ws-pod > /www/index.html && httpd -p 127.0.0.1:8080 -h /www; exec sh';
    const pod = await runPod('ws', bed.container('ws', { command: ['sh', '-c', serve], stdin: true }));
    const ws = (url: string): string => url.replace(/^http:/, 'ws:');
    // non-tty exec over v5: stdin half-closed with the close signal, exit status on channel 3
    const { url } = await cri.runtime.exec({ containerId: pod.containerId, cmd: ['sh', '-c', 'cat; echo err >&2; exit 4'], stdin: true, stdout: true, stderr: true });
    const exec = await ChannelTestClient.connect(ws(url), ['v5.channel.k8s.io']);
    exec.send(0, 'over websocket\n');
    exec.ws.send(Buffer.of(255, 0));
    await exec.closed;
    expect(exec.received(1).toString()).toBe('over websocket\n');
    expect(exec.received(2).toString()).toBe('err\n');
    expect(JSON.parse(exec.received(3).toString())).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '4' }] } });

    // tty exec over v4 base64: one output stream, sizes on channel 4
    const tty = await cri.runtime.exec({ containerId: pod.containerId, cmd: ['sh', '-c', 'while read line; do stty size; done'], tty: true, stdin: true, stdout: true });
    const term = await ChannelTestClient.connect(ws(tty.url), ['v4.base64.channel.k8s.io'], 'base64');
    try {
      term.send(4, JSON.stringify({ Width: 72, Height: 19 }));
      const deadline = Date.now() + 10_000;
      while (!term.received(1).toString().includes('19 72') && Date.now() < deadline) {
        term.send(0, '\n');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(term.received(1).toString()).toContain('19 72\r\n');
    } finally {
      term.ws.close();
      await term.closed;
    }

    // attach over v4: the container's shell reads what we send
    const attach = await cri.runtime.attach({ containerId: pod.containerId, stdin: true, stdout: true, stderr: true });
    const attached = await ChannelTestClient.connect(ws(attach.url), ['v4.channel.k8s.io']);
    try {
      attached.send(0, 'echo attached-over-ws\n');
      await attached.until(() => attached.received(1).toString().includes('attached-over-ws\n'), 'attach output');
    } finally {
      attached.ws.close();
      await attached.closed;
    }

    // port forward over v4: data channel 0 and error channel 1 each start with the port (uint16 LE)
    let page = '';
    // httpd may still be starting: a few tries, each on a new URL
    for (let i = 0; i < 20 && !page.includes('ws-pod'); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      const { url: pfUrl } = await cri.runtime.portForward({ podSandboxId: pod.podSandboxId, port: [8080] });
      const client = await ChannelTestClient.connect(ws(pfUrl), ['v4.channel.k8s.io']);
      await client.until(() => client.bytes(0) >= 2 && client.bytes(1) >= 2, 'port headers');
      expect([...client.received(0).subarray(0, 2)]).toEqual([8080 & 0xff, 8080 >> 8]);
      client.send(0, 'GET /index.html HTTP/1.0\r\n\r\n');
      await client.closed;
      page = client.received(0).subarray(2).toString();
    }
    expect(page).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
    expect(page).toContain('ws-pod\n');
  });
});
