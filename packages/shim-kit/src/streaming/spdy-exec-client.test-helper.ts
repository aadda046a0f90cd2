import { connect, type Socket } from 'node:net';
import { SpdyFlag, type SpdyFrame } from './spdy-frames.js';
import { SpdyTestClient } from './spdy-test-client.test-helper.js';

/** The HTTP answer to an upgrade request; `early` holds SPDY bytes read along with a 101's head. */
export interface UpgradeAnswer {
  status: number;
  head: string;
  body: string;
  socket: Socket;
  early: Buffer;
}

/** Sends the SPDY/3.1 upgrade request kubelet's proxy would send and reads the HTTP response head. The caller destroys `socket`. */
export async function upgradeRequest(url: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  socket.on('error', () => undefined);
  const all: Record<string, string> = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io', ...headers };
  socket.write(`POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  let buffer = Buffer.alloc(0);
  const end = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const i = buffer.indexOf('\r\n\r\n');
      if (i >= 0) {
        socket.off('data', onData);
        socket.pause();
        resolve(i + 4);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${buffer.toString()}`)));
  });
  const head = buffer.subarray(0, end).toString();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  let rest = buffer.subarray(end);
  if (status !== 101) {
    socket.resume();
    socket.on('data', (c: Buffer) => (rest = Buffer.concat([rest, c])));
    await new Promise((r) => socket.once('close', r));
  }
  return { status, head, body: rest.toString(), socket, early: status === 101 ? rest : Buffer.alloc(0) };
}

/** A SYN_STREAM opening client stream `id` with the given headers (e.g. `streamtype`). */
export function openStream(id: number, headers: Record<string, string>): SpdyFrame {
  return { kind: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: 0, slot: 0, flags: 0, headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])) };
}

/** Connects to `url` with an upgrade for `protocol`; throws unless the server answers 101. */
export async function spdySession(url: string, protocol = 'v4.channel.k8s.io'): Promise<SpdyTestClient> {
  const { status, head, socket, early } = await upgradeRequest(url, { 'X-Stream-Protocol-Version': protocol });
  if (status !== 101) {
    socket.destroy();
    throw new Error(`upgrade of ${url} answered ${status}: ${head}`);
  }
  const client = SpdyTestClient.fromSocket(socket, early);
  socket.resume();
  return client;
}

/** What a non-tty exec over v4.channel.k8s.io produced. */
export interface ExecOutcome {
  stdout: string;
  stderr: string;
  /** The metav1.Status from the error stream. */
  status: { status?: string; reason?: string; details?: { causes?: Array<{ reason?: string; message?: string }> } };
}

/** Runs the exec behind `url` as kubectl would (non-tty): sends `stdin` then FIN, reads stdout, stderr and the status. */
export async function runExec(url: string, options: { stdin?: Buffer | string; stdout?: boolean; stderr?: boolean } = {}): Promise<ExecOutcome> {
  const client = await spdySession(url);
  try {
    const frames: SpdyFrame[] = [openStream(1, { streamtype: 'error' })];
    const ids: Record<string, number> = {};
    let next = 3;
    for (const name of ['stdin', 'stdout', 'stderr'] as const) {
      const wanted = name === 'stdin' ? options.stdin !== undefined : options[name] !== false;
      if (!wanted) continue;
      ids[name] = next;
      frames.push(openStream(next, { streamtype: name }));
      next += 2;
    }
    await client.send(...frames);
    if (ids.stdin !== undefined) await client.send({ kind: 'DATA', streamId: ids.stdin, flags: SpdyFlag.FIN, data: Buffer.from(options.stdin ?? '') });
    const [stdout, stderr] = await Promise.all([ids.stdout, ids.stderr].map(async (id) => (id === undefined ? '' : (await client.readStream(id)).toString())));
    const status = JSON.parse((await client.readStream(1)).toString()) as ExecOutcome['status'];
    return { stdout: stdout ?? '', stderr: stderr ?? '', status };
  } finally {
    client.close();
  }
}
