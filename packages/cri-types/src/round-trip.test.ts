import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type CriClient } from './client.js';
import { criError, isCriError, type CriError } from './cri-error.js';
import { ContainerState, ContainerEventType } from './gen/runtime/v1/api.js';
import { listenUnix, type UnixListener } from './listen-unix.js';
import { KUBELET_MAX_RECEIVE_MESSAGE_BYTES } from './message-limits.js';
import { addCriServices, createCriServer, type CriCallContext } from './server.js';
import { makeTempDir } from './socket-fixtures.test-helper.js';

const MiB = 1024 * 1024;
const NANOS = 1_700_000_000_123_456_789n; // past Number.MAX_SAFE_INTEGER

/** Resolves with the abort reason the server side saw, per test tag. */
const serverAborts = new Map<string, (reason: unknown) => void>();
function serverAbort(tag: string): Promise<unknown> {
  return new Promise((resolve) => serverAborts.set(tag, resolve));
}

function waitForAbort(ctx: CriCallContext, tag: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    const bounded = setTimeout(() => reject(new Error('test handler waited 20 s without an abort')), 20_000);
    ctx.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(bounded);
        serverAborts.get(tag)?.(ctx.signal.reason);
        reject(ctx.signal.reason);
      },
      { once: true },
    );
  });
}

describe('client <-> server round trip over a unix socket', () => {
  let client: CriClient;
  let listener: UnixListener;
  let remove: () => Promise<void>;
  const unexpected: unknown[] = [];

  beforeAll(async () => {
    const temp = await makeTempDir();
    remove = temp.remove;
    const server = createCriServer();
    addCriServices(
      server,
      {
        runtime: {
          version: (request, ctx) => ({
            version: request.version,
            runtimeName: String(ctx.metadata.get('x-runtime-name')[0] ?? ''),
            runtimeApiVersion: 'v1',
          }),
          containerStatus: async (request) => {
            throw criError('NotFound', `container "${request.containerId}" not found`);
          },
          removeContainer: async () => {
            throw new Error('disk on fire');
          },
          listContainers: async () => ({
            containers: [{ id: 'c1', createdAt: NANOS, state: ContainerState.CONTAINER_RUNNING, labels: { app: 'x' } }],
          }),
          createContainer: async (request) => {
            const env = request.config?.envs ?? [];
            return { containerId: env.map((kv) => `${kv.key}=${Buffer.isBuffer(kv.value)}:${kv.value.toString('hex')}`).join(',') };
          },
          execSync: async (request, ctx) => {
            const [verb, arg, payload] = request.cmd;
            if (verb === 'wait') return waitForAbort(ctx, arg ?? '');
            if (verb === 'timeout') return { stdout: Buffer.from(String(request.timeout)), exitCode: 0 };
            if (verb === 'big') return { stdout: Buffer.alloc(Number(arg), 0x61), stderr: Buffer.from(String(payload?.length ?? 0)) };
            return { exitCode: 1 };
          },
          async *streamContainers(request) {
            const count = Number(request.filter?.labelSelector?.['count'] ?? '3');
            const padding = 'p'.repeat(Number(request.filter?.labelSelector?.['padding'] ?? '0'));
            for (let i = 0; i < count; i++) {
              yield { containers: [{ id: `c${i}`, createdAt: NANOS + BigInt(i), annotations: padding ? { padding } : {} }] };
            }
            if (request.filter?.id === 'fail') throw criError('Internal', 'listing broke halfway');
          },
          async *getContainerEvents(_request, ctx) {
            yield { containerId: 'c0', containerEventType: ContainerEventType.CONTAINER_STARTED_EVENT, createdAt: NANOS };
            await waitForAbort(ctx, 'events');
          },
        },
        image: {
          pullImage: (request) => ({ imageRef: `sha256:${request.image?.image ?? ''}` }),
        },
      },
      { onError: (e) => unexpected.push(e) },
    );
    listener = await listenUnix(server, join(temp.dir, 'cri.sock'));
    client = await connect(`unix://${listener.path}`);
  });

  afterAll(async () => {
    await client?.close();
    await listener?.shutdown(1_000);
    await remove?.();
  });

  it('answers a unary call, passing metadata', async () => {
    const response = await client.runtime.version({ version: '0.1.0' }, { metadata: { 'x-runtime-name': 'test-shim' } });
    expect(response).toEqual({ version: '0.1.0', runtimeName: 'test-shim', runtimeVersion: '', runtimeApiVersion: 'v1' });
    const metadata = new Metadata();
    metadata.set('x-runtime-name', 'via-metadata');
    expect((await client.runtime.version({}, { metadata })).runtimeName).toBe('via-metadata');
  });

  it('serves the image service too', async () => {
    expect(await client.image.pullImage({ image: { image: 'busybox' } })).toEqual({ imageRef: 'sha256:busybox' });
  });

  it('streams server responses as an async iterable', async () => {
    const ids: string[] = [];
    for await (const page of client.runtime.streamContainers({ filter: { labelSelector: { count: '4' } } })) {
      ids.push(...page.containers.map((c) => c.id));
    }
    expect(ids).toEqual(['c0', 'c1', 'c2', 'c3']);
  });

  it('streams more than the socket buffers (the server waits for drain)', async () => {
    let count = 0;
    let bytes = 0;
    for await (const page of client.runtime.streamContainers({ filter: { labelSelector: { count: '200', padding: String(128 * 1024) } } })) {
      count += 1;
      bytes += page.containers[0]?.annotations['padding']?.length ?? 0;
    }
    expect(count).toBe(200);
    expect(bytes).toBe(200 * 128 * 1024);
  });

  it('reports a stream that fails halfway after the items before it', async () => {
    const ids: string[] = [];
    const error = await (async () => {
      for await (const page of client.runtime.streamContainers({ filter: { id: 'fail', labelSelector: { count: '2' } } })) {
        ids.push(...page.containers.map((c) => c.id));
      }
    })().catch((e: unknown) => e);
    expect(ids).toEqual(['c0', 'c1']);
    expect(isCriError(error, 'Internal')).toBe(true);
    expect((error as Error).message).toBe('RuntimeService.StreamContainers: listing broke halfway');
  });

  it('keeps 64-bit nanosecond timestamps exact as bigint, both ways', async () => {
    const { containers } = await client.runtime.listContainers();
    expect(containers[0]).toMatchObject({ id: 'c1', createdAt: NANOS, state: ContainerState.CONTAINER_RUNNING, labels: { app: 'x' } });
    const echoed = await client.runtime.execSync({ containerId: 'c1', cmd: ['timeout'], timeout: 9_007_199_254_740_993n });
    expect(echoed.stdout.toString()).toBe('9007199254740993');
  });

  it('sends env values (KeyValue.value) as bytes', async () => {
    const response = await client.runtime.createContainer({
      podSandboxId: 'p',
      config: { envs: [{ key: 'A', value: Buffer.from('héllo') }, { key: 'BIN', value: Buffer.from([0, 255]) }] },
    });
    expect(response.containerId).toBe(`A=true:${Buffer.from('héllo').toString('hex')},BIN=true:00ff`);
  });

  it('maps a thrown CriError to its gRPC code', async () => {
    const error = (await client.runtime.containerStatus({ containerId: 'nope' }).catch((e: unknown) => e)) as CriError;
    expect(isCriError(error, 'NotFound')).toBe(true);
    expect(error).toMatchObject({ status: 5, details: 'container "nope" not found' });
    expect(error.message).toBe('RuntimeService.ContainerStatus: container "nope" not found');
  });

  it('answers Unknown with the message for other errors, and tells onError', async () => {
    const error = await client.runtime.removeContainer({ containerId: 'c' }).catch((e: unknown) => e);
    expect(isCriError(error, 'Unknown')).toBe(true);
    expect((error as Error).message).toBe('RuntimeService.RemoveContainer: disk on fire');
    expect(unexpected).toEqual([expect.objectContaining({ message: 'disk on fire' })]);
  });

  it('answers Unimplemented naming the RPC, for unary and streaming RPCs', async () => {
    const unary = await client.runtime.status().catch((e: unknown) => e);
    expect(isCriError(unary, 'Unimplemented')).toBe(true);
    expect((unary as Error).message).toContain('runtime.v1.RuntimeService/Status is not implemented');
    const stream = await client.image.streamImages()[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(isCriError(stream, 'Unimplemented')).toBe(true);
    expect((stream as Error).message).toContain('runtime.v1.ImageService/StreamImages is not implemented');
  });

  it('fails with DeadlineExceeded when the deadline passes, and the server sees its signal abort', async () => {
    const seen = serverAbort('deadline');
    const error = await client.runtime.execSync({ cmd: ['wait', 'deadline'] }, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(isCriError(error, 'DeadlineExceeded')).toBe(true);
    expect(await seen).toBeDefined();
    const byDate = await client.runtime
      .execSync({ cmd: ['wait', 'deadline-date'] }, { deadline: new Date(Date.now() + 100) })
      .catch((e: unknown) => e);
    expect(isCriError(byDate, 'DeadlineExceeded')).toBe(true);
  });

  it('cancels a call through an AbortSignal: Cancelled with the reason as cause; the server sees it', async () => {
    const seen = serverAbort('cancel');
    const controller = new AbortController();
    const pending = client.runtime.execSync({ cmd: ['wait', 'cancel'] }, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('user gave up')), 100);
    const error = (await pending) as CriError;
    expect(isCriError(error, 'Cancelled')).toBe(true);
    expect(error.cause).toEqual(new Error('user gave up'));
    expect(isCriError(await seen, 'Cancelled')).toBe(true);
  });

  it('rejects at once for an already aborted signal', async () => {
    const error = await client.runtime.version({}, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isCriError(error, 'Cancelled')).toBe(true);
  });

  it('cancels a server stream through an AbortSignal and by leaving the loop', async () => {
    const seen = serverAbort('events');
    const controller = new AbortController();
    const received: string[] = [];
    const error = await (async () => {
      for await (const event of client.runtime.getContainerEvents({}, { signal: controller.signal })) {
        received.push(event.containerId);
        expect(event.createdAt).toBe(NANOS);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(received).toEqual(['c0']);
    expect(isCriError(error, 'Cancelled')).toBe(true);
    await seen;

    const seenAgain = serverAbort('events');
    for await (const event of client.runtime.getContainerEvents()) {
      expect(event.containerId).toBe('c0');
      break;
    }
    await seenAgain;
  });

  it('carries messages over the 4 MiB gRPC default both ways', async () => {
    const payload = 'x'.repeat(5 * MiB);
    const response = await client.runtime.execSync({ cmd: ['big', String(6 * MiB), payload] });
    expect(response.stdout.length).toBe(6 * MiB);
    expect(response.stderr.toString()).toBe(String(5 * MiB));
  });

  it('refuses messages over kubelet 16 MiB limit with ResourceExhausted, both ways', async () => {
    const tooBig = KUBELET_MAX_RECEIVE_MESSAGE_BYTES + MiB;
    const sending = await client.runtime.execSync({ cmd: ['big', '1', 'y'.repeat(tooBig)] }).catch((e: unknown) => e);
    expect(isCriError(sending, 'ResourceExhausted')).toBe(true);
    expect((sending as Error).message).toMatch(/larger than/);
    const receiving = await client.runtime.execSync({ cmd: ['big', String(tooBig)] }).catch((e: unknown) => e);
    expect(isCriError(receiving, 'ResourceExhausted')).toBe(true);
    expect((receiving as Error).message).toMatch(/larger than/);
    expect((await client.runtime.version({ version: 'still fine' })).version).toBe('still fine');
  });
});
