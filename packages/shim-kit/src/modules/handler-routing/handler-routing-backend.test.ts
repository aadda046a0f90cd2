import { describe, expect, it } from 'vitest';
import type { RuntimeSpec } from '@shimkit/oci-spec';
import { isShimError, ShimError } from '../../errors.js';
import type { ContainerExit } from '../../interfaces/runtime-backend.js';
import { FakeRuntimeBackend } from '../../testing/fake-runtime-backend.js';
import { HandlerRoutingBackend } from './handler-routing-backend.js';

const spec: RuntimeSpec = { ociVersion: '1.0.2', process: { args: ['sh'], cwd: '/' }, root: { path: 'rootfs' } } as RuntimeSpec;

function backends(): { linux: FakeRuntimeBackend; other: FakeRuntimeBackend } {
  const linux = new FakeRuntimeBackend();
  linux.setInfo({ name: 'linux', handlers: [{ name: '', recursiveReadOnlyMounts: true, userNamespaces: true }, { name: 'crun', recursiveReadOnlyMounts: true, userNamespaces: true }] });
  const other = new FakeRuntimeBackend();
  // names a handler the first one has too: the first backend keeps it
  other.setInfo({ name: 'other', handlers: [{ name: 'wasm', recursiveReadOnlyMounts: false, userNamespaces: false, portForward: false }, { name: 'crun', recursiveReadOnlyMounts: false, userNamespaces: false }] });
  return { linux, other };
}

async function sandbox(router: HandlerRoutingBackend, id: string, runtimeHandler: string): Promise<void> {
  await router.runSandbox({ id, runtimeHandler, config: { metadata: { name: id, namespace: 'ns', uid: id, attempt: 0 } } as never });
}

describe('HandlerRoutingBackend', () => {
  it('runs each pod on the backend offering its handler, and its containers with it', async () => {
    const { linux, other } = backends();
    const router = new HandlerRoutingBackend([linux, other]);
    await sandbox(router, 'p-default', '');
    await sandbox(router, 'p-crun', 'crun');
    await sandbox(router, 'p-wasm', 'wasm');
    expect(linux.sandboxes().map((s) => s.id).sort()).toEqual(['p-crun', 'p-default']);
    expect(other.sandboxes().map((s) => s.id)).toEqual(['p-wasm']);

    await router.createContainer({ id: 'c-wasm', sandboxId: 'p-wasm', spec, rootfs: '/nowhere', logPath: '' });
    await router.createContainer({ id: 'c-linux', sandboxId: 'p-default', spec, rootfs: '/nowhere', logPath: '' });
    await router.startContainer('c-wasm');
    expect(other.container('c-wasm')?.status).toBe('running');
    expect(linux.container('c-wasm')).toBeUndefined();
    expect(linux.container('c-linux')?.status).toBe('created');
    expect((await router.containerState('c-wasm')).status).toBe('running');

    await router.stopContainer('c-wasm', { timeoutSeconds: 0 });
    await router.removeContainer('c-wasm');
    await router.removeContainer('c-wasm'); // idempotent
    await router.stopSandbox('p-wasm');
    await router.removeSandbox('p-wasm');
    await router.removeSandbox('p-wasm');
    expect(other.sandboxes()).toEqual([]);
  });

  it('asks the backend of the pod\'s handler whether the sandbox needs its netns first', async () => {
    const { linux, other } = backends();
    Object.assign(linux, { sandboxNeedsNetns: () => true });
    Object.assign(other, { sandboxNeedsNetns: () => false });
    const router = new HandlerRoutingBackend([linux, other]);
    const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u', attempt: 0 } } as never;
    // before the handlers are known: true when any backend needs it
    expect(router.sandboxNeedsNetns(pod, 'wasm')).toBe(true);
    await router.info(); // Status, or RunPodSandbox's handler check, comes first
    expect(router.sandboxNeedsNetns(pod, 'wasm')).toBe(false);
    expect(router.sandboxNeedsNetns(pod, '')).toBe(true);
    expect(router.sandboxNeedsNetns(pod)).toBe(true);
  });

  it('refuses a handler no backend offers, and NotFound for ids no backend has', async () => {
    const { linux, other } = backends();
    const router = new HandlerRoutingBackend([linux, other]);
    await expect(sandbox(router, 'p', 'gvisor')).rejects.toSatisfy((e: unknown) => isShimError(e, 'InvalidArgument') && /runtime handler "gvisor" is not configured/.test((e as Error).message));
    await expect(router.containerState('nope')).rejects.toSatisfy((e: unknown) => isShimError(e, 'NotFound'));
    await expect(router.sandboxState('nope')).rejects.toSatisfy((e: unknown) => isShimError(e, 'NotFound'));
    await expect(router.createContainer({ id: 'c', sandboxId: 'nope', spec, rootfs: '/x', logPath: '' })).rejects.toSatisfy((e: unknown) => isShimError(e, 'NotFound'));
    await router.stopSandbox('nope');
    await router.removeContainer('nope');
  });

  it('removes a container and a pod no backend owns up to from every backend (idempotent removes)', async () => {
    const { linux, other } = backends();
    await new HandlerRoutingBackend([linux, other]).runSandbox({ id: 'p', runtimeHandler: '', config: {} as never });
    await linux.createContainer({ id: 'lost', sandboxId: 'p', spec, rootfs: '/x', logPath: '' });
    const router = new HandlerRoutingBackend([linux, other]);
    // the backend still holds it but its runtime lost it: its state answers NotFound
    linux.failNext('containerState', new ShimError('NotFound', 'container lost is gone from the runtime'));
    await router.removeContainer('lost');
    expect(linux.container('lost')).toBeUndefined();
    expect(other.callsTo('removeContainer').map((c) => c.args[0])).toEqual(['lost']);
    linux.failNext('sandboxState', new ShimError('NotFound', 'gone'));
    await router.removeSandbox('p');
    expect(linux.sandboxes()).toEqual([]);
  });

  it('finds sandboxes and containers again in a new router over the same backends (a restart)', async () => {
    const { linux, other } = backends();
    const first = new HandlerRoutingBackend([linux, other]);
    await sandbox(first, 'p-wasm', 'wasm');
    await first.createContainer({ id: 'c', sandboxId: 'p-wasm', spec, rootfs: '/x', logPath: '' });
    const again = new HandlerRoutingBackend([linux, other]);
    expect(await again.sandboxState('p-wasm')).toBe('ready');
    await again.startContainer('c');
    expect(other.container('c')?.status).toBe('running');
    await again.createContainer({ id: 'c2', sandboxId: 'p-wasm', spec, rootfs: '/x', logPath: '' });
    expect(other.container('c2')?.status).toBe('created');
  });

  it('names the handler when its backend cannot exec or attach', async () => {
    const { linux, other } = backends();
    Object.assign(other, { exec: undefined, attach: undefined });
    const router = new HandlerRoutingBackend([linux, other]);
    await sandbox(router, 'p', 'wasm');
    await router.createContainer({ id: 'c', sandboxId: 'p', spec, rootfs: '/x', logPath: '' });
    await router.startContainer('c');
    const refused = (e: unknown, what: string): boolean => isShimError(e, 'Unimplemented') && (e as Error).message === `runtime handler "wasm" cannot ${what}`;
    await expect(router.exec('c', { cmd: ['sh'], tty: false, stdin: false, stdout: true, stderr: true })).rejects.toSatisfy((e: unknown) => refused(e, 'exec with streams'));
    await expect(router.attach('c', { stdin: true, stdout: true, stderr: false })).rejects.toSatisfy((e: unknown) => refused(e, 'attach to a container'));
  });

  it('lists every backend\'s handlers once, hears every backend\'s exits, and is ready only when all are', async () => {
    const { linux, other } = backends();
    const router = new HandlerRoutingBackend([linux, other]);
    const info = await router.info();
    expect(info.name).toBe('linux');
    expect(info.handlers.map((h) => h.name)).toEqual(['', 'crun', 'wasm']);
    expect(info.handlers.find((h) => h.name === 'wasm')?.portForward).toBe(false);
    expect(info.ready).toBe(true);
    other.setInfo({ ready: false, reason: 'NoEngine', message: 'no WASI engine' });
    expect(await router.info()).toMatchObject({ ready: false, reason: 'NoEngine', message: 'other: no WASI engine' });

    const exits: ContainerExit[] = [];
    const off = router.onExit((e) => exits.push(e));
    await sandbox(router, 'p1', '');
    await sandbox(router, 'p2', 'wasm');
    await router.createContainer({ id: 'a', sandboxId: 'p1', spec, rootfs: '/x', logPath: '' });
    await router.createContainer({ id: 'b', sandboxId: 'p2', spec, rootfs: '/x', logPath: '' });
    await router.startContainer('a');
    await router.startContainer('b');
    linux.exitContainer('a', { exitCode: 3 });
    other.exitContainer('b', { exitCode: 4 });
    expect(exits.map((e) => [e.id, e.exitCode])).toEqual([['a', 3], ['b', 4]]);
    off();
    await router.close();
  });
});
