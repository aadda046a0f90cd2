import { afterEach, describe, expect, it } from 'vitest';
import { isShimError } from '../errors.js';
import { processExecRunner, type ExecRequest, type ExecRunner } from './exec-runner.js';
import { exitStatus } from './exec-status.js';
import { SpdyFlag, type SpdyFrame } from './spdy-frames.js';
import { StreamingServer, type StreamingServerOptions } from './streaming-server.js';
import { SpdyTestClient } from './spdy-test-client.test-helper.js';
import { upgradeRequest, type UpgradeAnswer } from './spdy-exec-client.test-helper.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const exitCodes: number[] = [];
const shell = processExecRunner((r) => r.cmd);
const recording: ExecRunner = async (request, streams, signal) => {
  const code = await shell(request, streams, signal);
  exitCodes.push(code);
  return code;
};

async function start(options: Partial<StreamingServerOptions> = {}): Promise<StreamingServer> {
  const server = await StreamingServer.start({ exec: recording, ...options });
  cleanups.push(() => server.close());
  return server;
}

function execRequest(cmd: string[], streams: Partial<ExecRequest> = {}): ExecRequest {
  return { containerId: 'c1', cmd, tty: false, stdin: false, stdout: true, stderr: false, ...streams };
}

/** Sends the upgrade request kubelet's proxy would send and reads the HTTP response head. */
async function upgrade(url: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  const answer = await upgradeRequest(url, headers);
  cleanups.push(() => void answer.socket.destroy());
  return answer;
}

async function spdyClient(url: string): Promise<SpdyTestClient> {
  const { status, head, socket, early } = await upgrade(url);
  expect(status, head).toBe(101);
  expect(head).toMatch(/\r\nX-Stream-Protocol-Version: v4\.channel\.k8s\.io\r\n/i);
  const client = SpdyTestClient.fromSocket(socket, early);
  socket.resume();
  cleanups.push(() => client.close());
  return client;
}

function open(id: number, streamType: string): SpdyFrame {
  return { kind: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: 0, slot: 0, flags: 0, headers: new Map([['streamtype', [streamType]]]) };
}

describe('StreamingServer (non-tty exec over SPDY, v4.channel.k8s.io)', () => {
  it('runs the command with stdin, stdout and stderr and reports the exit code as a metav1.Status', async () => {
    const server = await start();
    const { url } = server.requestExec(execRequest(['/bin/sh', '-c', 'cat; echo oops >&2; exit 3'], { stdin: true, stderr: true }));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]+$/);
    const client = await spdyClient(url);
    await client.send(open(1, 'error'), open(3, 'stdin'), open(5, 'stdout'), open(7, 'stderr'));
    await client.send({ kind: 'DATA', streamId: 3, flags: 0, data: Buffer.from('hello ') }, { kind: 'DATA', streamId: 3, flags: SpdyFlag.FIN, data: Buffer.from('exec') });
    expect((await client.readStream(5)).toString()).toBe('hello exec');
    expect((await client.readStream(7)).toString()).toBe('oops\n');
    const status = JSON.parse((await client.readStream(1)).toString()) as unknown;
    expect(status).toEqual(exitStatus(3));
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    await client.waitFor((f) => f.kind === 'GOAWAY');
    await client.closed;
  });

  it('reports Success for exit 0 with stdout only', async () => {
    const server = await start();
    const client = await spdyClient(server.requestExec(execRequest(['/bin/sh', '-c', 'printf ok'])).url);
    await client.send(open(1, 'error'), open(3, 'stdout'));
    expect((await client.readStream(3)).toString()).toBe('ok');
    expect(JSON.parse((await client.readStream(1)).toString())).toEqual({ metadata: {}, status: 'Success' });
  });

  it('reports a command that cannot start as an InternalError', async () => {
    const server = await start();
    const client = await spdyClient(server.requestExec(execRequest(['/nonexistent/cmd'])).url);
    await client.send(open(1, 'error'), open(3, 'stdout'));
    const status = JSON.parse((await client.readStream(1)).toString()) as { reason: string; message: string };
    expect(status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(status.message).toMatch(/ENOENT/);
  });

  it('kills the command when the client goes away', async () => {
    const server = await start();
    exitCodes.length = 0;
    const client = await spdyClient(server.requestExec(execRequest(['/bin/sh', '-c', 'exec sleep 30'])).url);
    await client.send(open(1, 'error'), open(3, 'stdout'));
    await new Promise((r) => setTimeout(r, 200));
    client.close();
    for (let i = 0; i < 100 && exitCodes.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(exitCodes).toEqual([137]);
  });

  it('closes the session when the client does not open its streams in time, without running anything', async () => {
    const server = await start({ streamCreationTimeoutMs: 200 });
    exitCodes.length = 0;
    const client = await spdyClient(server.requestExec(execRequest(['/bin/true'])).url);
    await client.send(open(1, 'error'));
    await client.closed;
    expect(exitCodes).toEqual([]);
  });

  it('serves each URL once, forgets expired ones and refuses bad handshakes with the HTTP status kubelet\'s would', async () => {
    let now = 1_000_000;
    const server = await start({ now: () => now });
    const { url } = server.requestExec(execRequest(['/bin/true']));
    const first = await spdyClient(url);
    first.close();
    expect((await upgrade(url)).status).toBe(404);
    expect((await upgrade(`${server.baseUrl}/exec/nope`)).status).toBe(404);

    const expiring = server.requestExec(execRequest(['/bin/true'])).url;
    expect(server.pendingRequests).toBe(1);
    now += 60_000;
    expect(server.pendingRequests).toBe(0);
    const expired = await upgrade(expiring);
    expect(expired.status).toBe(404);
    expect(expired.body).toMatch(/unknown or expired/);

    const old = await upgrade(server.requestExec(execRequest(['/bin/true'])).url, { 'X-Stream-Protocol-Version': 'v2.channel.k8s.io, channel.k8s.io' });
    expect(old.status).toBe(403);
    expect(old.body).toMatch(/client supports \[v2\.channel\.k8s\.io, channel\.k8s\.io\], server supports \[v4\.channel\.k8s\.io\]/);
    const websocket = await upgrade(server.requestExec(execRequest(['/bin/true'])).url, { Upgrade: 'websocket' });
    expect(websocket.status).toBe(400);
    const plain = await fetch(server.requestExec(execRequest(['/bin/true'])).url);
    expect(plain.status).toBe(400);
    expect(server.pendingRequests).toBe(1); // fetch's plain request does not reach the upgrade path
  });

  it('validates exec requests and bounds the pending ones', async () => {
    const server = await start({ maxPendingRequests: 1 });
    expect(() => server.requestExec(execRequest([]))).toThrow(/command is empty/);
    expect(() => server.requestExec(execRequest(['/bin/true'], { stdout: false }))).toSatisfy((f: () => unknown) => {
      try {
        f();
        return false;
      } catch (e) {
        return isShimError(e, 'InvalidArgument');
      }
    });
    expect(() => server.requestExec(execRequest(['/bin/true'], { tty: true, stderr: true }))).toThrow(/tty exec has no stderr/);
    expect(() => server.requestAttach({ containerId: 'c1', stdin: false, stdout: true, stderr: false, tty: false, stdinOnce: false })).toThrow(/no attach runner/);
    server.requestExec(execRequest(['/bin/true']));
    expect(() => server.requestExec(execRequest(['/bin/true']))).toThrow(/1 streaming requests are already waiting/);
  });

  it('waits for the resize stream of a tty exec and passes the sizes on', async () => {
    const sizes: unknown[] = [];
    const server = await start({
      exec: async (_request, streams) => {
        await new Promise<void>((resolve) => {
          streams.resize?.setEncoding('utf8');
          streams.resize?.on('data', (text: string) => sizes.push(JSON.parse(text)));
          streams.resize?.once('end', resolve);
        });
        streams.stdout?.end('done');
        return 0;
      },
    });
    const client = await spdyClient(server.requestExec(execRequest(['sh'], { tty: true })).url);
    await client.send(open(1, 'error'), open(3, 'stdout'));
    await new Promise((r) => setTimeout(r, 50));
    expect(sizes).toEqual([]); // not started: the resize stream is missing
    await client.send(open(5, 'resize'), { kind: 'DATA', streamId: 5, flags: SpdyFlag.FIN, data: Buffer.from('{"Width":90,"Height":20}') });
    expect((await client.readStream(3)).toString()).toBe('done');
    expect(sizes).toEqual([{ Width: 90, Height: 20 }]);
  });

  it('serves attach URLs with the attach runner and reports Success when the session ends', async () => {
    const attached: unknown[] = [];
    const server = await start({
      attach: async (request, streams) => {
        attached.push(request);
        streams.stdout?.end('from the container');
      },
    });
    const request = { containerId: 'c1', stdin: false, stdout: true, stderr: false, tty: false, stdinOnce: false };
    const { url } = server.requestAttach(request);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/attach\/[A-Za-z0-9_-]+$/);
    const wrongKind = await upgrade(url.replace('/attach/', '/exec/'));
    expect(wrongKind.status).toBe(404); // the token is for an attach, and is used up by this try
    const { url: second } = server.requestAttach(request);
    const client = await spdyClient(second);
    await client.send(open(1, 'error'), open(3, 'stdout'));
    expect((await client.readStream(3)).toString()).toBe('from the container');
    expect(JSON.parse((await client.readStream(1)).toString())).toEqual({ metadata: {}, status: 'Success' });
    expect(attached).toEqual([request]);
  });
});
