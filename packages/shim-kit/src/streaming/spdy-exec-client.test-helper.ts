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

/** The HTTP status an upgrade request to `url` is answered with (the connection is closed). */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const { status, socket } = await upgradeRequest(url, headers);
  socket.destroy();
  return status;
}

/** A SYN_STREAM opening client stream `id` with the given headers (e.g. `streamtype`); `fin` half-closes it at once. */
export function openStream(id: number, headers: Record<string, string>, fin = false): SpdyFrame {
  return { kind: 'SYN_STREAM', streamId: id, associatedStreamId: 0, priority: 0, slot: 0, flags: fin ? SpdyFlag.FIN : 0, headers: new Map(Object.entries(headers).map(([k, v]) => [k, [v]])) };
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

/** What one port-forward connection produced: the bytes from the port, and the error stream's text. */
export interface ForwardOutcome {
  data: string;
  error: string;
}

/**
 * Forwards one connection as kubectl would: opens the error stream (half-closed at once) and the
 * data stream with `port` and `requestID`, sends `payload` then FIN, reads both streams to their end.
 * `firstStreamId` must be odd and unused on `client` (each connection takes two ids).
 */
export async function forwardOnce(client: SpdyTestClient, options: { port: number; requestId: number; firstStreamId: number; payload: string }): Promise<ForwardOutcome> {
  const headers = { port: String(options.port), requestid: String(options.requestId) };
  const errorId = options.firstStreamId;
  const dataId = options.firstStreamId + 2;
  await client.send(openStream(errorId, { streamtype: 'error', ...headers }, true), openStream(dataId, { streamtype: 'data', ...headers }));
  await client.send({ kind: 'DATA', streamId: dataId, flags: SpdyFlag.FIN, data: Buffer.from(options.payload) });
  const [data, error] = await Promise.all([client.readStream(dataId), client.readStream(errorId)]);
  return { data: data.toString(), error: error.toString() };
}

/**
 * Forwards `payload` to `port` until the connection is accepted (a server in the pod may still be
 * starting): at most 20 tries 200 ms apart, each on a fresh request id. Returns the last outcome.
 */
export async function forwardWhenUp(client: SpdyTestClient, port: number, payload: string): Promise<ForwardOutcome> {
  let outcome = await forwardOnce(client, { port, requestId: 0, firstStreamId: 1, payload });
  for (let i = 1; i < 20 && outcome.error !== ''; i++) {
    await new Promise((r) => setTimeout(r, 200));
    outcome = await forwardOnce(client, { port, requestId: i, firstStreamId: 1 + 4 * i, payload });
  }
  return outcome;
}

/** An exec or attach session over v4.channel.k8s.io driven step by step, as kubectl does with `-i` (and `-t`). */
export class RemoteCommandClient {
  private readonly received = new Map<number, string>();

  private constructor(
    readonly client: SpdyTestClient,
    private readonly ids: Readonly<Record<string, number>>,
  ) {}

  /** Opens the error stream and the streams named in `streams` (stdin, stdout, stderr, resize). */
  static async open(url: string, streams: ReadonlyArray<'stdin' | 'stdout' | 'stderr' | 'resize'>): Promise<RemoteCommandClient> {
    const client = await spdySession(url);
    const ids: Record<string, number> = { error: 1 };
    streams.forEach((name, i) => (ids[name] = 3 + 2 * i));
    await client.send(...Object.entries(ids).map(([name, id]) => openStream(id, { streamtype: name })));
    return new RemoteCommandClient(client, ids);
  }

  private id(name: string): number {
    const id = this.ids[name];
    if (id === undefined) throw new Error(`stream ${name} was not opened`);
    return id;
  }

  /** Sends bytes on stdin; `fin` closes it. */
  async write(data: string, fin = false): Promise<void> {
    await this.client.send({ kind: 'DATA', streamId: this.id('stdin'), flags: fin ? SpdyFlag.FIN : 0, data: Buffer.from(data) });
  }

  /** Sends a terminal size on the resize stream. */
  async resize(width: number, height: number): Promise<void> {
    await this.client.send({ kind: 'DATA', streamId: this.id('resize'), flags: 0, data: Buffer.from(JSON.stringify({ Width: width, Height: height })) });
  }

  /** Reads `stream` until what arrived on it so far contains `text` (at most 10 s); returns all of it. */
  async readUntil(stream: 'stdout' | 'stderr', text: string): Promise<string> {
    const id = this.id(stream);
    while (!(this.received.get(id) ?? '').includes(text)) {
      const f = await this.client.waitFor((x) => x.kind === 'DATA' && x.streamId === id);
      if (f.kind === 'DATA') this.received.set(id, (this.received.get(id) ?? '') + f.data.toString());
    }
    return this.received.get(id) ?? '';
  }

  /**
   * Sends `input` every 100 ms until `stream` shows `text` (at most `attempts` times): for what
   * reaches a terminal asynchronously, such as a new size. Returns what arrived.
   */
  async askUntil(input: string, stream: 'stdout' | 'stderr', text: string, attempts = 50): Promise<string> {
    const id = this.id(stream);
    for (let i = 0; i < attempts && !(this.received.get(id) ?? '').includes(text); i++) {
      await this.write(input);
      await new Promise((r) => setTimeout(r, 100));
      for (let f = this.take(id); f !== undefined; f = this.take(id)) this.received.set(id, (this.received.get(id) ?? '') + f.toString());
    }
    return this.received.get(id) ?? '';
  }

  private take(id: number): Buffer | undefined {
    const i = this.client.frames.findIndex((f) => f.kind === 'DATA' && f.streamId === id);
    const f = i < 0 ? undefined : this.client.frames.splice(i, 1)[0];
    return f?.kind === 'DATA' ? f.data : undefined;
  }

  /** Everything `stream` carries until its end (including what {@link readUntil} already read). */
  async readAll(stream: 'stdout' | 'stderr'): Promise<string> {
    const id = this.id(stream);
    return (this.received.get(id) ?? '') + (await this.client.readStream(id)).toString();
  }

  /** The metav1.Status on the error stream, once the session is over. */
  async status(): Promise<ExecOutcome['status']> {
    return JSON.parse((await this.client.readStream(1)).toString()) as ExecOutcome['status'];
  }

  close(): void {
    this.client.close();
  }
}
